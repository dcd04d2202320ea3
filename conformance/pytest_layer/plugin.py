"""pytest plugin: target lifecycle, preflight, typed outcomes, redaction, reports, exit status.

It stays dormant until a conformance test asks for the target, so `make selftest` never starts
a server through it. Outcomes are read from typed objects (`ConformanceFailure`, `NotTested`,
`TransportFault`), never from text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.semantic import RunMemory
from conformance.pytest_layer.classify import DECLARED, SUBFAILED, classify
from conformance.pytest_layer.cost import describe, estimate
from conformance.pytest_layer.narration import announce, progress
from conformance.reports.build import terminal_summary, write_reports
from conformance.reports.terminal import RedactingFile
from conformance.run import outcomes
from conformance.run.baseline import Accepted
from conformance.run.findings import JUDGED, Kind, NotTested, TransportFault
from conformance.run.outcomes import TestResult
from conformance.run.preflight import (
    PreflightError,
    PreflightThrottled,
    connect,
    preflight,
    vet_optional,
)
from conformance.run.settings import KEY_VARIABLES, ConfigError, Settings
from conformance.wire.api import Api
from conformance.wire.redact import redact
from conformance.wire.session import Ledger

# Budget goes to the deterministic cases first; the property-based tests get the rest, and the
# rate-limit check (which exhausts the quota) runs last.
ORDER = ("boundary", "auth", "semantic", "robustness", "contract", "rate_limit")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The tests that will run (after `-m`/`-k`), for the planned cost; with `--collect-only`,
    the cost of each part is printed and nothing is sent."""
    RUN.items = list(session.items)
    if not session.config.option.collectonly or not RUN.items:
        return
    try:
        settings = Settings.from_env()
    except ConfigError:
        return
    print("planned cost per part (requests and campaigns at most, before throttling):")
    print("\n".join(describe(estimate(RUN.items, settings), settings)))


@dataclass
class Run:
    settings: Settings | None = None
    ledger: Ledger = field(default_factory=Ledger)
    memory: RunMemory = field(default_factory=RunMemory)
    stack: ExitStack = field(default_factory=ExitStack)
    results: list[TestResult] = field(default_factory=list)
    stopped: str = ""  # why the rest of the run is not tested
    setup_error: str = ""
    accepted: Accepted = field(default_factory=Accepted)
    api: Api | None = None
    started: float = field(default_factory=time.time)
    extra_secrets: list[str] = field(default_factory=list)
    items: list[pytest.Item] = field(default_factory=list)
    report: dict[str, Any] | None = None  # the built conformance report, once written

    def secrets(self) -> list[str]:
        own = self.settings.secrets() if self.settings else []
        return own + self.extra_secrets


RUN = Run()


def _stop(message: str, status: int) -> None:
    RUN.setup_error = redact(message, RUN.secrets())
    pytest.exit(RUN.setup_error, returncode=status)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance.pytest_layer import hooks

    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Redaction at the last step: whatever pytest, Hypothesis or Schemathesis print goes
    through a writer that masks every form of every key."""
    # Every key given, valid configuration or not: a stop message must not leak one either.
    RUN.extra_secrets = [v.strip() for k in KEY_VARIABLES if (v := os.environ.get(k, "")).strip()]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        writer = reporter._tw
        writer._file = RedactingFile(writer._file, RUN.secrets)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Settings:
    """The settings of the server under test, up and vetted by the preflight."""
    if RUN.settings is not None:
        return RUN.settings
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        _stop(f"configuration error: {exc}", outcomes.SETUP_ERROR)
    if settings.embedded:
        try:
            started = pytestconfig.hook.pytest_conformance_embedded_target(
                settings=settings, stack=RUN.stack
            )
        except RuntimeError as exc:
            _stop(f"embedded target failed to start: {exc}", outcomes.SETUP_ERROR)
        if started is None:
            _stop("configuration error: BASE_URL is required", outcomes.SETUP_ERROR)
        settings = started
    try:
        RUN.accepted = Accepted.load(settings.baseline)
    except ValueError as exc:
        _stop(f"baseline {settings.baseline}: {exc}", outcomes.SETUP_ERROR)
    RUN.settings = settings
    # One session for the whole run, preflight included: one pace, one clock for MAX_TIME.
    RUN.api = connect(settings, RUN.ledger, RUN.memory)
    try:
        preflight(RUN.api)
        if not settings.embedded_origin:  # the harness's keys are right by construction
            vet_optional(RUN.api)
    except PreflightThrottled as exc:
        _stop(f"preflight: {exc}", outcomes.NOT_TESTED)
    except (PreflightError, TransportFault, NotTested) as exc:
        _stop(f"preflight: {exc}", outcomes.SETUP_ERROR)
    announce(pytestconfig, settings, RUN.items, RUN.api.rejected)
    RUN.api.session.on_progress = progress(pytestconfig, RUN.ledger)
    return settings


@pytest.fixture(scope="session")
def api(target: Settings) -> Api:
    assert RUN.api is not None
    return RUN.api


@pytest.fixture(scope="session")
def limited_api(target: Settings, pytestconfig: pytest.Config) -> Api:
    """A target that enforces a known limit: a harness's sibling, or BASE_URL with RATE_LIMIT."""
    sibling = pytestconfig.hook.pytest_conformance_limited_target(settings=target, stack=RUN.stack)
    if sibling is not None:
        return connect(sibling, RUN.ledger, RunMemory())
    if not target.rate_limit:
        pytest.skip("rate-limit check needs RATE_LIMIT (requests per minute the target enforces)")
    assert RUN.api is not None
    return RUN.api


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a module fixture's requests count against the test that needs it.
    RUN.ledger.current_test = item.nodeid
    JUDGED.clear()


@pytest.fixture(autouse=True)
def _budget_gate(request: pytest.FixtureRequest) -> None:
    if RUN.stopped:
        raise NotTested(RUN.stopped)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, m in enumerate(ORDER) if item.get_closest_marker(m)), len(ORDER))

    items.sort(key=rank)
    for item in items:
        # Kept on the item itself: Schemathesis renames a node while its subtests run.
        item.stash[DECLARED] = tuple(m.args[0] for m in item.iter_markers("rule"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    # tryfirst: the outermost wrapper, so what others rewrote is redacted after them.
    outcome = yield
    rep = outcome.get_result()
    if RUN.settings is not None and DECLARED in item.stash:
        result = classify(RUN, item, call, rep)
        if result is not None and result.kind is Kind.FAILED and call.when == "call":
            item.stash[SUBFAILED] = True
        elif result is not None and result.kind is Kind.PASSED and item.stash.get(SUBFAILED, False):
            result = None  # the test as a whole passed, but a subtest of it failed: no green case
        if result is not None:
            RUN.results.append(result)
            # JUnit properties per test case (JUnit reads them from the item at teardown).
            item.user_properties.append(("rules", ",".join(result.declared)))
            item.user_properties.append(("outcome", result.kind.value))
            if result.findings:
                broken = dict.fromkeys(f.rule for f in result.findings)
                item.user_properties.append(("broken", ",".join(broken)))
    secrets = RUN.secrets()
    if secrets:
        if rep.longrepr is not None and not isinstance(rep.longrepr, tuple):
            rep.longrepr = redact(str(rep.longrepr), secrets)
        rep.sections = [(name, redact(content, secrets)) for name, content in rep.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # tryfirst: the exit status and JUnit's properties are set before JUnit writes its file.
    if RUN.settings is None and not RUN.setup_error:
        return  # not a conformance run (the selftests)
    settings = RUN.settings or Settings.reports_only()
    status = exitstatus
    # pytest's own statuses stand: interrupted, internal error, usage error, and no tests (a run
    # that tested nothing is never turned green).
    if exitstatus not in (2, 3, 4, 5) and (RUN.results or RUN.setup_error):
        status = outcomes.exit_status(RUN.results, RUN.setup_error)
        if RUN.setup_error and exitstatus == outcomes.NOT_TESTED:
            status = outcomes.NOT_TESTED
        session.exitstatus = status
    xml = getattr(session.config, "_xml", None)  # pytest's JUnit writer, when --junitxml is on
    if xml is not None:
        target = settings.target_label
        for name, value in (
            ("target", target),
            ("run_id", settings.run_id),
            ("seed", settings.seed),
            ("exit_status", status),
            ("requests", RUN.ledger.sent),
        ):
            xml.add_global_property(name, str(value))
    run = {
        "run_id": settings.run_id,
        "seed": settings.seed,
        "target": settings.target_label,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(RUN.started)),
        "seconds": round(time.time() - RUN.started, 1),
        "budget": {"max_requests": settings.max_requests, "max_time": settings.max_time},
        "exit_status": status,
        "exit_meaning": outcomes.EXIT_MEANING.get(status, "see pytest's exit codes"),
        "setup_error": RUN.setup_error or None,
        "not_covered": RUN.stopped or None,
        "reproduce_note": session.config.hook.pytest_conformance_reproduce_note(settings=settings),
        "baseline": {
            "file": str(settings.baseline),
            "accepted": sorted(RUN.accepted.used),
            "stale": [e.to_dict() for e in RUN.accepted.stale()],
        },
    }
    RUN.report = write_reports(settings.reports_dir, RUN.results, RUN.ledger, run, RUN.secrets())
    RUN.stack.close()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last step for files: JUnit and HTML are written by their own plugins from reports we
    redacted; whatever they added of their own is masked here, before anyone reads them."""
    secrets = RUN.secrets()
    if not secrets or (RUN.settings is None and not RUN.setup_error):
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
    settings, doc = RUN.settings, RUN.report
    if settings is not None and doc is not None:
        terminalreporter.section("conformance findings, one per broken rule", sep="=")
        for line in terminal_summary(doc, settings):
            terminalreporter.write_line(line)
        note = doc["run"].get("reproduce_note")
        if note and any(r.findings for r in RUN.results):
            terminalreporter.write_line(f"reproduce: {note}")
        for entry in RUN.accepted.stale():
            terminalreporter.write_line(
                f"baseline: entry {entry.id} ({entry.check} / {entry.signature}) no longer reproduces: stale"
            )
    elif RUN.setup_error:
        terminalreporter.write_line(f"stopped: {RUN.setup_error}")
    return (yield)
