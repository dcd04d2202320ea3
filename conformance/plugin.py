"""pytest plugin: target lifecycle, preflight, budget and transport verdicts, redaction, reports.

It stays dormant until a conformance test asks for the target, so `make selftest` never starts
a server through it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.api import Api
from conformance.baseline import Accepted, finding_identities
from conformance.redact import redact
from conformance.report import Outcome, curl_lines, write_reports
from conformance.semantic import RunMemory
from conformance.settings import ConfigError, Settings
from conformance.target import PreflightError, connect, preflight
from conformance.transport import BudgetExhausted, Ledger, TransportFault

# Budget goes to the deterministic cases first; the property-based tests get the rest, and the
# rate-limit check (which exhausts the quota) runs last.
ORDER = ("boundary", "auth", "semantic", "robustness", "contract", "rate_limit")


@dataclass
class Run:
    settings: Settings | None = None
    ledger: Ledger = field(default_factory=Ledger)
    memory: RunMemory = field(default_factory=RunMemory)
    stack: ExitStack = field(default_factory=ExitStack)
    outcomes: list[Outcome] = field(default_factory=list)
    rules: dict[str, list[str]] = field(default_factory=dict)
    exhausted: str = ""
    accepted: Accepted = field(default_factory=Accepted)
    api: Api | None = None
    started: float = field(default_factory=time.time)

    def secrets(self) -> list[str]:
        return self.settings.secrets() if self.settings else []


RUN = Run()


def _find(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    """`kind` anywhere in an exception's cause, context or group (Hypothesis wraps failures)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, kind):
            return cur
        todo += [cur.__cause__, cur.__context__, *getattr(cur, "exceptions", ())]
    return None


def rules_of(nodeid: str) -> list[str] | None:
    """Rules of a test; Schemathesis renames its subtests `test[POST /path]`, so fall back."""
    if nodeid in RUN.rules:
        return RUN.rules[nodeid]
    return RUN.rules.get(nodeid.rsplit("[", 1)[0])


def broken_rules(rules: list[str], failure: str) -> list[str]:
    """A failure counts against the rule its message names first (`[rule] ...`), which may not
    be the one the test targets (a semantic test can meet an off-schema body first)."""
    named = re.search(r"^\W*(?:Failed: )?\[([\w.-]+)\]", failure, re.MULTILINE)
    return [named.group(1)] if named else rules


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance import hooks

    pluginmanager.add_hookspecs(hooks)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Settings:
    """The settings of the server under test, up and vetted by the preflight."""
    if RUN.settings is not None:
        return RUN.settings
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        pytest.exit(f"configuration error: {exc}", returncode=4)
    if settings.embedded:
        try:
            started = pytestconfig.hook.pytest_conformance_embedded_target(
                settings=settings, stack=RUN.stack
            )
        except RuntimeError as exc:
            pytest.exit(f"embedded target failed to start: {exc}", returncode=3)
        if started is None:
            pytest.exit("configuration error: BASE_URL is required (no embedded target here)", 4)
        settings = started
    try:
        RUN.accepted = Accepted.load(settings.baseline)
    except ValueError as exc:
        pytest.exit(f"baseline {settings.baseline}: {exc}", returncode=4)
    RUN.settings = settings
    # One session for the whole run, preflight included: one pace, one clock for MAX_TIME.
    RUN.api = connect(settings, RUN.ledger, RUN.memory)
    try:
        preflight(RUN.api)
    except PreflightError as exc:
        pytest.exit(f"preflight: {exc}", returncode=3)
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


@pytest.fixture(autouse=True)
def _budget_gate(request: pytest.FixtureRequest) -> None:
    RUN.ledger.current_test = request.node.nodeid
    if RUN.exhausted:
        pytest.skip(f"not run: {RUN.exhausted}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, m in enumerate(ORDER) if item.get_closest_marker(m)), len(ORDER))

    items.sort(key=rank)
    for item in items:
        RUN.rules[item.nodeid] = [m.args[0] for m in item.iter_markers("rule")]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    exc = call.excinfo.value if call.excinfo else None
    budget = _find(exc, BudgetExhausted)
    if budget is not None:
        RUN.exhausted = str(budget)
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, f"Skipped: not run: {budget}")
    elif (fault := _find(exc, TransportFault)) is not None:
        rep.user_properties.append(("transport_error", str(fault)))
    elif rep.failed and call.when == "call":
        rules = broken_rules(rules_of(item.nodeid) or [], str(rep.longrepr))
        entry = RUN.accepted.covers(finding_identities(item.nodeid, rules, exc))
        if entry is not None:
            # xfail: visible in every report, but not a gate failure.
            rep.outcome = "skipped"
            rep.wasxfail = f"accepted deviation {entry.id}: {entry.extra.get('reason')}"
    secrets = RUN.secrets()
    if secrets and rep.longrepr is not None:
        text = str(rep.longrepr)
        if any(s in text for s in secrets):
            rep.longrepr = redact(text, secrets)
    if secrets:
        rep.sections = [(name, redact(content, secrets)) for name, content in rep.sections]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    rules = rules_of(report.nodeid)
    if RUN.settings is None or rules is None:
        return
    if report.when != "call" and not (report.failed or report.skipped):
        return
    text = str(report.longrepr or "")
    kind = report.outcome
    if any(k == "transport_error" for k, _ in report.user_properties):
        kind = "transport-error"
    if hasattr(report, "wasxfail"):
        kind, text = "accepted", f"{report.wasxfail}\n{text}"
    elif report.skipped and isinstance(report.longrepr, tuple):
        text = report.longrepr[2].removeprefix("Skipped: ")
    if kind == "failed":
        rules = broken_rules(rules, text)
    RUN.outcomes.append(Outcome(report.nodeid, rules, kind, text, curl_lines(text)))


def pytest_sessionfinish(session: pytest.Session) -> None:
    settings = RUN.settings
    if settings is not None:
        run = {
            "run_id": settings.run_id,
            "seed": settings.seed,
            "target": "embedded reference server"
            if settings.embedded_origin
            else settings.base_url,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(RUN.started)),
            "seconds": round(time.time() - RUN.started, 1),
            "budget": {"max_requests": settings.max_requests, "max_time": settings.max_time},
            "not_covered": RUN.exhausted or None,
            "baseline": {
                "file": str(settings.baseline),
                "accepted": sorted(RUN.accepted.used),
                "stale": [e.to_dict() for e in RUN.accepted.stale()],
            },
        }
        write_reports(settings.reports_dir, RUN.outcomes, RUN.ledger, run, settings.secrets())
    RUN.stack.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RUN.settings is None:
        return
    led = RUN.ledger
    line = f"conformance: {led.sent} requests, {led.throttled} throttled, {len(led.transport_errors)} transport errors"
    if RUN.exhausted:
        line += f"; stopped early ({RUN.exhausted}), the rest is reported as not covered"
    terminalreporter.write_line(line)
    for entry in RUN.accepted.stale():
        terminalreporter.write_line(
            f"baseline: entry {entry.id} ({entry.check} / {entry.signature}) no longer reproduces: stale"
        )
    terminalreporter.write_line(
        f"reports: {RUN.settings.reports_dir}/conformance.md (seed {RUN.settings.seed})"
    )
