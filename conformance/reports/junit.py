"""junit.xml for CI, from the run's events: one test case per test outcome, with the rules it
declared, its outcome and the rules it broke as properties; a finding is a failure whose
message is what broke, the suite's own error an error, a transport fault an error of its kind,
what was not tested or is off a skip. The suite's run properties (target, run id, seed, exit
status, requests) are the suite's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from conformance.findings import Kind
from conformance.reports.model import Report
from conformance.run.events import Event, RunFinished, TestFinished
from conformance.run.outcomes import TestResult
from conformance.wire.redact import redact, visible

SUITE_NAME = "carecycle-create-campaign-conformance"


def _case(result: TestResult) -> ET.Element:
    path, _, name = result.nodeid.partition("::")
    classname = path.removesuffix(".py").replace("/", ".")
    case = ET.Element("testcase", classname=classname, name=visible(name or path))
    props = ET.SubElement(case, "properties")
    broken = ",".join(dict.fromkeys(f.rule for f in result.findings))
    for key, value in (("rules", ",".join(result.declared)), ("outcome", result.kind.value)):
        ET.SubElement(props, "property", name=key, value=value)
    if broken:
        ET.SubElement(props, "property", name="broken", value=broken)
    first = visible(result.findings[0].what[0]) if result.findings and result.findings[0].what else ""
    if result.kind is Kind.FAILED:
        element = ET.SubElement(case, "failure", message=first[:500])
        element.text = "\n".join(visible(f.render(), newlines=True) for f in result.findings)
    elif result.kind is Kind.SUITE_ERROR:
        element = ET.SubElement(case, "error", message=visible(result.reason)[:500])
        element.text = visible(result.traceback, newlines=True)
    elif result.kind is Kind.TRANSPORT:
        ET.SubElement(case, "error", type="transport fault", message=visible(result.reason)[:500])
    elif result.kind in (Kind.NOT_TESTED, Kind.OFF, Kind.ACCEPTED):
        reason = result.reason or (f"accepted deviation {result.accepted_by}" if result.accepted_by else "")
        ET.SubElement(case, "skipped", message=visible(f"{result.kind.value}: {reason}")[:500])
    return case


class JUnitWriter:
    """Collects each test's outcome, as its XML text (a judged file's hundred thousand cases
    held as elements would cost more memory than the judging); writes the file once the report
    is built."""

    def __init__(self, path: Path, secrets: Callable[[], list[str]]) -> None:
        self.path = path
        self.secrets = secrets
        self.cases: list[str] = []
        self.counts = {"failure": 0, "error": 0, "skipped": 0}

    def __call__(self, event: Event) -> None:
        if isinstance(event, TestFinished):
            case = _case(event.result)
            for tag in self.counts:
                self.counts[tag] += case.find(tag) is not None
            ET.indent(case, space="  ", level=2)
            self.cases.append("    " + ET.tostring(case, encoding="unicode").rstrip() + "\n")
        elif isinstance(event, RunFinished) and event.report is not None:
            self.write(event.report)

    def write(self, report: Report) -> None:
        run = report.run
        suite = ET.Element(
            "testsuite",
            name=SUITE_NAME,
            tests=str(len(self.cases)),
            failures=str(self.counts["failure"]),
            errors=str(self.counts["error"]),
            skipped=str(self.counts["skipped"]),
            time=str(run.seconds),
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("target", run.target),
            ("run_id", run.run_id),
            ("seed", run.seed),
            ("exit_status", run.exit_status),
            ("requests", report.requests.sent),
        ):
            ET.SubElement(props, "property", name=name, value=visible(str(value)))
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        head = ET.tostring(root, encoding="unicode", xml_declaration=True)
        # The cases go in before the suite's end tag, as ET.indent would have placed them.
        cut = head.rindex("  </testsuite>")
        text = head[:cut] + "".join(self.cases) + head[cut:]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(redact(text, self.secrets()), encoding="utf-8")
