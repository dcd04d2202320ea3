"""The engine without a target and without pytest: the reporters fed a recorded list of the run's
events, and a registered check called on an exchange from plain Python with pytest unimportable
(what judging recorded traffic builds on)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from requests.structures import CaseInsensitiveDict

from conformance.findings import Finding, Kind
from conformance.reports.junit import JUnitWriter
from conformance.reports.terminal import Terminal
from conformance.run.events import (
    Event,
    Progress,
    RunFinished,
    RunReported,
    RunStarted,
    TestFinished,
)
from conformance.run.ledger import Taken
from conformance.run.outcomes import TestResult
from conformance.wire.exchange import Exchange
from tests.selftest.report_samples import sample
from tests.selftest.suite_runner import ROOT

EXCHANGE = Exchange(
    "POST", "http://x.test/v2/campaigns", {"x-api-key": "***"}, b"{}", 422,
    CaseInsensitiveDict({"content-type": "application/json"}), b'{"code": "X"}', 0.01,
)  # fmt: skip
FAILED = TestResult(
    "tests/conformance/test_a.py::test_one",
    ("response.error-code",),
    Kind.FAILED,
    (Finding("response.error-code", ("status 422 carries code 'X'",), EXCHANGE),),
)
PASSED = TestResult("tests/conformance/test_a.py::test_two", ("auth.unauthorized",), Kind.PASSED)
OFF = TestResult("tests/conformance/test_b.py::test_three", ("auth.forbidden",), Kind.OFF,
                 reason="403 check needs FORBIDDEN_API_KEY")  # fmt: skip
REPORT = sample({"run": {"run_id": "r1", "exit_status": 1, "target": "http://x.test"}})
RECORDED: list[Event] = [
    RunStarted(("conformance: target http://x.test", "optional: ...")),
    Progress(3, 12.0, "tests/conformance/test_a.py::test_one"),
    TestFinished(FAILED, (Taken(EXCHANGE, frozenset({"response.error-code"})),)),
    TestFinished(PASSED),
    TestFinished(OFF),
    RunFinished(REPORT),
    RunReported(REPORT),
]


def test_junit_from_recorded_events(tmp_path: Path) -> None:
    writer = JUnitWriter(tmp_path / "junit.xml", lambda: ["cc_never_there"])
    for event in RECORDED:
        writer(event)
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["test_one", "test_two", "test_three"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "status 422 carries code 'X'"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["exit_status"] == "1" and props["run_id"] == "r1"


def test_the_terminal_from_recorded_events() -> None:
    lines: list[str] = []
    terminal = Terminal(lines.append, lambda report: [f"verdict {report.run.exit_status}"])
    terminal.last -= 60  # the last line was long ago: the progress tick is due
    for event in RECORDED:
        terminal(event)
    assert lines == [
        "conformance: target http://x.test",
        "optional: ...",
        "  ... 3 requests, 12 s elapsed, in test_one",
        "verdict 1",
    ]


WITHOUT_PYTEST = """
import json, sys
sys.modules["pytest"] = None  # any import of pytest now fails
sys.modules["_pytest"] = None
from requests.structures import CaseInsensitiveDict
from conformance.checks.context import CheckContext, RunMemory
from conformance.checks.registry import judge, registered
from conformance.checks.semantic import status_is_draft
from conformance.wire.exchange import Exchange

campaign = {"status": "active"}
exchange = Exchange(
    "POST", "http://x.test/v2/campaigns", {}, json.dumps({"name": "x"}).encode(), 201,
    CaseInsensitiveDict({"content-type": "application/json"}),
    json.dumps({"campaign": campaign}).encode(), 0.01,
)
ctx = CheckContext.of(exchange, RunMemory())
print(json.dumps({
    "registered": len(registered()),
    "draft": status_is_draft(ctx, exchange),
    "judged": sorted({f.rule for f in judge(ctx, exchange)}),
}))
"""


def test_a_registered_check_runs_on_an_exchange_without_pytest() -> None:
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYTEST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["registered"] > 10
    assert result["draft"] == ["status is 'active', expected 'draft'"]
    assert result["judged"] == ["response.documented"]  # off-schema first: one defect, one rule
