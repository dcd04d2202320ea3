"""pytest plugin: the run's lifecycle. It builds the run (`conformance.run.run.Run`), keeps it in
the config's stash, hands its targets to the tests as fixtures and forwards each test's start
and outcome to it; the run publishes events the reports subscribe to.

It stays dormant until a conformance test asks for the target, so `make selftest` never starts
a server through it. Outcomes are read from typed objects (`ConformanceFailure`, `NotTested`,
`TransportFault`), never from text.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pluggy
import pytest

from conformance.checks.seeding import from_contract_and_seed_only
from conformance.findings import Kind, NotTested
from conformance.pytest_layer.classify import DECLARED, SUBFAILED, classify, suite_error
from conformance.pytest_layer.collect import ordered, validate_rule_ids
from conformance.pytest_layer.finish import pytest_unconfigure
from conformance.pytest_layer.start import ITEMS, RUN, reports_dir, run_of, say, start
from conformance.reports.junit import JUnitWriter
from conformance.reports.screen import screen_lines
from conformance.reports.terminal import RedactingFile, Terminal
from conformance.run.api import Api
from conformance.run.outcomes import TestResult
from conformance.run.run import Run
from conformance.settings import KEY_VARIABLES, Settings, new_run_id
from conformance.wire.exchange import Exchange
from conformance.wire.redact import redact

__all__ = ["pytest_unconfigure", "run_of"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance.pytest_layer import hooks

    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """The run, made once: its id (collection builds named cases from it), and every key given.
    Redaction at the last step: whatever pytest, Hypothesis or Schemathesis print goes through
    a writer that masks every form of every key."""
    from_contract_and_seed_only()  # before Hypothesis's plugin gathers constants at collection
    given = [v.strip() for k in KEY_VARIABLES if (v := os.environ.get(k, "")).strip()]
    run = config.stash[RUN] = Run(run_id=new_run_id(os.environ), given_secrets=given)
    config.stash[ITEMS] = []
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        writer = reporter._tw
        writer._file = RedactingFile(writer._file, run.secrets)
    screen = config.hook.pytest_conformance_screen(config=config)
    run.screen = screen is not None

    def draw(line: str) -> None:  # the front end's screen is redacted here like every output
        screen(redact(line, run.secrets()))

    run.events.subscribe(
        Terminal(
            draw if screen is not None else (lambda line: say(config, line)),
            lambda report: screen_lines(report, reports_dir(run)),
            stops=run.screen,
        )
    )
    # junit.xml even for a setup stop (REPORTS_DIR is read the same way as the settings do).
    run.events.subscribe(
        JUnitWriter(Settings.reports_only().reports_dir / "junit.xml", run.secrets)
    )
    config.hook.pytest_conformance_subscribe(run=run)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = ordered(items)
    for item in items:
        # Kept on the item itself: Schemathesis renames a node while its subtests run.
        item.stash[DECLARED] = tuple(m.args[0] for m in item.iter_markers("rule"))
    if any(item.stash[DECLARED] for item in items):
        validate_rule_ids(config, items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The tests that will run (after `-m`/`-k`), for the plan; with `--collect-only`, the
    plan is printed and nothing is sent."""
    items = session.config.stash[ITEMS] = list(session.items)
    from conformance.contract.rules import rules

    run = run_of(session.config)
    run.own_words = (*{w for i in items for w in (i.nodeid, i.name)}, *rules())
    if session.config.option.collectonly and items:
        from conformance.pytest_layer.start import print_plan

        print_plan(session.config, items)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Settings:
    """The settings of the server under test, up and vetted by the preflight."""
    run = run_of(pytestconfig)
    if run.settings is None:
        start(pytestconfig, run)
    assert run.settings is not None
    return run.settings


@pytest.fixture(scope="session")
def api(target: Settings, pytestconfig: pytest.Config) -> Api:
    made = run_of(pytestconfig).api
    assert made is not None  # made with the target
    return made


@pytest.fixture
def template_probe(api: Api) -> tuple[dict[str, Any], Exchange] | None:
    """The vetting's template probe, handed once to the test that judges it."""
    probe, api.run.template_probe = api.run.template_probe, None
    return probe


@pytest.fixture(scope="session")
def limited_api(target: Settings, pytestconfig: pytest.Config) -> Api:
    """A target that enforces a known limit: a harness's sibling, or BASE_URL with RATE_LIMIT."""
    run = run_of(pytestconfig)
    sibling = pytestconfig.hook.pytest_conformance_limited_target(settings=target, stack=run.stack)
    if sibling is not None:
        return run.target(sibling)
    run.inputs.require("RATE_LIMIT")
    assert run.api is not None
    return run.api


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a module fixture's requests count against the test that needs it.
    run_of(item.config).begin_test(item.nodeid)


@pytest.fixture(autouse=True)
def _budget_gate(request: pytest.FixtureRequest) -> None:
    stopped = run_of(request.config).stopped
    if stopped:
        raise NotTested(stopped)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    # tryfirst: the outermost wrapper, so what others rewrote is redacted after them.
    outcome = yield
    rep = outcome.get_result()
    run = run_of(item.config)
    if run.settings is not None and DECLARED in item.stash:
        result = classify(run, item, call, rep)
        if call.when == "call" and (why := run.overspent(run.current_test)):
            # The test broke its own declaration: our bug, whatever the target answered.
            result = suite_error(run, item, RuntimeError(f"{item.nodeid} {why}"), rep)
        _record(run, item, result, call.when == "call")
        if run.stop_requested:
            item.session.shouldfail = run.stop_requested
    secrets = run.secrets()
    if secrets:
        if rep.longrepr is not None and not isinstance(rep.longrepr, tuple):
            rep.longrepr = redact(str(rep.longrepr), secrets)
        rep.sections = [(name, redact(content, secrets)) for name, content in rep.sections]


def _record(run: Run, item: pytest.Item, result: TestResult | None, call: bool) -> None:
    if result is not None and result.kind is Kind.FAILED and call:
        item.stash[SUBFAILED] = True
    elif result is not None and result.kind is Kind.PASSED and item.stash.get(SUBFAILED, False):
        result = None  # the test as a whole passed, but a subtest of it failed: no green case
    if result is not None:
        run.end_test(result)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # tryfirst: before pytest-html and the terminal's own summary.
    from conformance.pytest_layer.finish import finish_run

    finish_run(session, exitstatus)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    from conformance.pytest_layer.finish import end_lines

    for line in end_lines(run_of(terminalreporter.config)):
        terminalreporter.write_line(line)
    return (yield)
