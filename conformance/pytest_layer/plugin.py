"""pytest plugin: target lifecycle, preflight, typed outcomes, redaction, reports, exit status.

It stays dormant until a conformance test asks for the target, so `make selftest` never starts
a server through it. Outcomes are read from typed objects (`ConformanceFailure`, `NotTested`,
`TransportFault`), never from text. The run's state is one `RunContext`, kept in the config's
stash (`CONTEXT`) and passed to every hook and fixture that needs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pluggy
import pytest

from conformance.checks.catalogue import NamedRule, named_by_baseline, named_by_checks, unknown
from conformance.checks.ratewindow import arm
from conformance.checks.seeding import from_contract_and_seed_only
from conformance.checks.semantic import RunMemory
from conformance.pytest_layer.classify import DECLARED, SUBFAILED, classify
from conformance.pytest_layer.cost import describe, estimate, findings_bound, total
from conformance.pytest_layer.narration import announce, progress
from conformance.pytest_layer.records import finish_har, history_warning, remembering, start_har
from conformance.reports import model as m
from conformance.reports.build import terminal_summary
from conformance.reports.ending import ERROR_FILE, EndError, end_step, keep_errors, write_reports
from conformance.reports.terminal import RedactingFile
from conformance.run import outcomes
from conformance.run.baseline import Accepted
from conformance.run.context import RunContext
from conformance.run.findings import Kind, NotTested, TransportFault
from conformance.run.outcomes import TestResult
from conformance.run.preflight import (
    PreflightError,
    PreflightThrottled,
    connect,
    preflight,
    vet_optional,
)
from conformance.run.settings import KEY_VARIABLES, ConfigError, Settings, new_run_id
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange
from conformance.wire.redact import redact

# Budget goes to the deterministic cases first; the property-based tests get the rest, and the
# rate-limit check (which exhausts the quota) runs last.
ORDER = ("boundary", "auth", "semantic", "robustness", "contract", "rate_limit")

CONTEXT = pytest.StashKey[RunContext]()
ITEMS = pytest.StashKey[list[pytest.Item]]()


def context(config: pytest.Config) -> RunContext:
    return config.stash[CONTEXT]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance.pytest_layer import hooks

    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """The run's context, made once: its id (collection builds named cases from it), and every
    key given. Redaction at the last step: whatever pytest, Hypothesis or Schemathesis print
    goes through a writer that masks every form of every key."""
    from_contract_and_seed_only()  # before Hypothesis's plugin gathers constants at collection
    given = [v.strip() for k in KEY_VARIABLES if (v := os.environ.get(k, "")).strip()]
    ctx = config.stash[CONTEXT] = RunContext(run_id=new_run_id(os.environ), given_secrets=given)
    config.stash[ITEMS] = []
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        writer = reporter._tw
        writer._file = RedactingFile(writer._file, ctx.secrets)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The tests that will run (after `-m`/`-k`), for the planned cost; with `--collect-only`,
    the cost of each part is printed and nothing is sent."""
    items = session.config.stash[ITEMS] = list(session.items)
    if not session.config.option.collectonly or not items:
        return
    try:
        settings = Settings.from_env(run_id=context(session.config).run_id)
    except ConfigError:
        return
    print("planned cost per part (requests and campaigns at most, before throttling):")
    print("\n".join(describe(estimate(items, settings), settings, findings_bound(items, settings))))


def _stop(ctx: RunContext, message: str, status: int) -> None:
    ctx.setup_error = redact(message, ctx.secrets())
    pytest.exit(ctx.setup_error, returncode=status)


def _target(ctx: RunContext, config: pytest.Config) -> Settings:
    try:
        settings = Settings.from_env(run_id=ctx.run_id)
    except ConfigError as exc:
        _stop(ctx, f"configuration error: {exc}", outcomes.SETUP_ERROR)
    if settings.needs_target:
        try:
            started = config.hook.pytest_conformance_target(settings=settings, stack=ctx.stack)
        except RuntimeError as exc:
            _stop(ctx, f"the suite's own target failed to start: {exc}", outcomes.SETUP_ERROR)
        if started is None:
            _stop(ctx, "configuration error: BASE_URL is required", outcomes.SETUP_ERROR)
        settings = started
    try:
        ctx.accepted = Accepted.load(settings.baseline)
    except ValueError as exc:
        _stop(ctx, f"baseline {settings.baseline}: {exc}", outcomes.SETUP_ERROR)
    return settings


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Settings:
    """The settings of the server under test, up and vetted by the preflight."""
    ctx = context(pytestconfig)
    if ctx.settings is not None:
        return ctx.settings
    settings = ctx.settings = _target(ctx, pytestconfig)
    start_har(pytestconfig, ctx, settings.reports_dir)
    # One session for the whole run, preflight included: one pace, one clock for MAX_TIME.
    ctx.api = api = connect(settings, ctx.ledger, ctx.memory, progress(pytestconfig, ctx.ledger))
    try:
        preflight(api)
        if settings.vet_inputs:
            ctx.template_probe = vet_optional(api)
    except PreflightThrottled as exc:
        _stop(ctx, f"preflight: {exc}", outcomes.NOT_TESTED)
    except (PreflightError, TransportFault, NotTested) as exc:
        _stop(ctx, f"preflight: {exc}", outcomes.SETUP_ERROR)
    ctx.planned_at_most = announce(pytestconfig, settings, pytestconfig.stash[ITEMS], api.rejected)
    limited = [i.nodeid for i in pytestconfig.stash[ITEMS] if i.get_closest_marker("rate_limit")]
    if limited:
        arm(api, limited[0])  # the rate-limit proof from the first window of a paced target
    return settings


@pytest.fixture(scope="session")
def api(target: Settings, pytestconfig: pytest.Config) -> Api:
    made = context(pytestconfig).api
    assert made is not None  # made with the target
    return made


@pytest.fixture
def template_probe(api: Api, pytestconfig: pytest.Config) -> tuple[dict[str, Any], Exchange] | None:
    """The preflight's template probe, handed once to the test that judges it."""
    ctx = context(pytestconfig)
    probe, ctx.template_probe = ctx.template_probe, None
    if probe is not None:
        ctx.ledger.adopt(probe[1])
    return probe


@pytest.fixture(scope="session")
def limited_api(target: Settings, pytestconfig: pytest.Config) -> Api:
    """A target that enforces a known limit: a harness's sibling, or BASE_URL with RATE_LIMIT."""
    ctx = context(pytestconfig)
    sibling = pytestconfig.hook.pytest_conformance_limited_target(settings=target, stack=ctx.stack)
    if sibling is not None:
        return connect(sibling, ctx.ledger, RunMemory(), progress(pytestconfig, ctx.ledger))
    if not target.rate_limit:
        pytest.skip("rate-limit check needs RATE_LIMIT (requests per minute the target enforces)")
    assert ctx.api is not None
    return ctx.api


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a module fixture's requests count against the test that needs it.
    context(item.config).ledger.begin(item.nodeid)


@pytest.fixture(autouse=True)
def _budget_gate(request: pytest.FixtureRequest) -> None:
    stopped = context(request.config).stopped
    if stopped:
        raise NotTested(stopped)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, m in enumerate(ORDER) if item.get_closest_marker(m)), len(ORDER))

    items.sort(key=rank)
    for item in items:
        # Kept on the item itself: Schemathesis renames a node while its subtests run.
        item.stash[DECLARED] = tuple(m.args[0] for m in item.iter_markers("rule"))
    if any(item.stash[DECLARED] for item in items):
        validate_rule_ids(config, items)


def validate_rule_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every rule id named anywhere (markers, checks, probes, baseline, a harness's planted
    defects) is one of `openapi/rules.yaml`'s: a misspelt id stops the collection, naming where."""
    named = [
        NamedRule(rule, f"{item.path} ({item.nodeid})")
        for item in items
        for rule in item.stash[DECLARED]
    ]
    named += named_by_checks()
    baseline = os.environ.get("BASELINE", "").strip()
    named += named_by_baseline(Path(baseline) if baseline else Settings.reports_only().baseline)
    for extra in config.hook.pytest_conformance_rule_ids(config=config):
        named += [NamedRule(rule, where) for rule, where in extra]
    problems = sorted(set(unknown(named)))
    if problems:
        raise pytest.UsageError(
            "rule ids not in openapi/rules.yaml (fix the id, or add the rule):\n  "
            + "\n  ".join(problems)
        )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    # tryfirst: the outermost wrapper, so what others rewrote is redacted after them.
    outcome = yield
    rep = outcome.get_result()
    ctx = context(item.config)
    if ctx.settings is not None and DECLARED in item.stash:
        _record(ctx, item, classify(ctx, item, call, rep), call.when == "call")
    secrets = ctx.secrets()
    if secrets:
        if rep.longrepr is not None and not isinstance(rep.longrepr, tuple):
            rep.longrepr = redact(str(rep.longrepr), secrets)
        rep.sections = [(name, redact(content, secrets)) for name, content in rep.sections]


def _record(ctx: RunContext, item: pytest.Item, result: TestResult | None, call: bool) -> None:
    if result is not None and result.kind is Kind.FAILED and call:
        item.stash[SUBFAILED] = True
    elif result is not None and result.kind is Kind.PASSED and item.stash.get(SUBFAILED, False):
        result = None  # the test as a whole passed, but a subtest of it failed: no green case
    if result is None:
        return
    ctx.results.append(result)
    item.config.hook.pytest_conformance_result(item=item, result=result)
    for finding in result.findings:
        if finding.exchange is not None:  # named in exchanges.har on the exchange itself
            finding.exchange.broken.add(finding.rule)
    # JUnit properties per test case (JUnit reads them from the item at teardown).
    item.user_properties.append(("rules", ",".join(result.declared)))
    item.user_properties.append(("outcome", result.kind.value))
    if result.findings:
        broken = dict.fromkeys(f.rule for f in result.findings)
        item.user_properties.append(("broken", ",".join(broken)))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # tryfirst: the exit status and JUnit's properties are set before JUnit writes its file.
    ctx = context(session.config)
    if not ctx.active:
        return  # not a conformance run (the selftests)
    errors: list[EndError] = []
    settings = ctx.settings or Settings.reports_only()
    with end_step("the end of the run", errors):
        _finish(session, ctx, settings, exitstatus, errors)
    if errors and ctx.report is None:  # the end itself failed before any report was kept
        keep_errors(settings.reports_dir, errors, ctx.secrets())
    ctx.end_errors = errors
    if errors:
        session.exitstatus = ctx.report.run.exit_status if ctx.report else outcomes.SUITE_ERROR
    xml = getattr(session.config, "_xml", None)  # pytest's JUnit writer, when --junitxml is on
    if xml is not None:
        for name, value in (
            ("target", settings.target_label),
            ("run_id", settings.run_id),
            ("seed", settings.seed),
            ("exit_status", session.exitstatus),
            ("requests", ctx.ledger.sent),
        ):
            xml.add_global_property(name, str(value))
    with suppress(Exception):  # what the run started is closed, whatever failed before
        ctx.stack.close()


def _finish(
    session: pytest.Session,
    ctx: RunContext,
    settings: Settings,
    exitstatus: int,
    errors: list[EndError],
) -> None:
    status = exitstatus
    # pytest's own statuses stand: interrupted, internal error, usage error, and no tests (a run
    # that tested nothing is never turned green).
    if exitstatus not in (2, 3, 4, 5) and (ctx.results or ctx.setup_error):
        status = outcomes.exit_status(ctx.results, ctx.setup_error)
        if ctx.setup_error and exitstatus == outcomes.NOT_TESTED:
            status = outcomes.NOT_TESTED
        session.exitstatus = status
    items: list[pytest.Item] = session.config.stash[ITEMS]
    run = m.RunInfo(
        run_id=settings.run_id,
        seed=settings.seed,
        target=settings.target_label,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.started)),
        seconds=round(time.time() - ctx.started, 1),
        budget=m.Budget(
            settings.max_requests, settings.max_time, settings.max_campaigns, ctx.planned_at_most
        ),
        planned=m.Part(*total(estimate(items, settings))),
        exit_status=status,
        exit_meaning=outcomes.EXIT_MEANING.get(status, "see pytest's exit codes"),
        setup_error=ctx.setup_error or None,
        not_covered=ctx.stopped or None,
        reproduce_note=session.config.hook.pytest_conformance_reproduce_note(settings=settings),
        baseline=m.BaselineUse(
            file=str(settings.baseline),
            accepted=tuple(sorted(ctx.accepted.used)),
            stale=tuple(m.StaleEntry(e.id, e.check, e.signature) for e in ctx.accepted.stale()),
        ),
    )
    with end_step("writing exchanges.har", errors):
        finish_har(session.config, ctx, settings.reports_dir)
    ctx.report, _ = write_reports(
        settings.reports_dir,
        ctx.results,
        ctx.ledger,
        run,
        ctx.secrets(),
        remembering(session.config, ctx, settings),
        errors,
    )


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last step for files: JUnit and HTML are written by their own plugins from reports we
    redacted; whatever they added of their own is masked here, before anyone reads them."""
    ctx = context(config)
    secrets = ctx.secrets()
    if not secrets or not ctx.active:
        return
    for option in ("xmlpath", "htmlpath"):
        path = getattr(config.option, option, None)
        if path and Path(path).is_file():
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            masked = redact(text, secrets)
            if masked != text:
                Path(path).write_text(masked, encoding="utf-8")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    """One finding per broken rule first; pytest's per-case detail follows."""
    ctx = context(terminalreporter.config)
    settings, report = ctx.settings, ctx.report
    if settings is not None and report is not None:
        terminalreporter.section("conformance findings, one per broken rule", sep="=")
        for line in terminal_summary(report, settings):
            terminalreporter.write_line(line)
        note = report.run.reproduce_note
        if note and report.broken:
            terminalreporter.write_line(f"reproduce: {note}")
        for entry in ctx.accepted.stale():
            terminalreporter.write_line(
                f"baseline: entry {entry.id} ({entry.check} / {entry.signature}) no longer reproduces: stale"
            )
    elif ctx.setup_error:
        terminalreporter.write_line(f"stopped: {ctx.setup_error}")
    for error in ctx.end_errors:
        where = (settings or Settings.reports_only()).reports_dir / ERROR_FILE
        terminalreporter.write_line(
            f"{error.shown} (a bug of the suite, not the target; traceback in {where})"
        )
    if warning := history_warning(terminalreporter.config):
        terminalreporter.write_line(warning)
    return (yield)
