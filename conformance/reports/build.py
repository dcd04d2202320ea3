"""The report, built once from typed outcomes (`model.Report`), then every file written from it:
conformance.json (the data), conformance.md (for a person), summary.html, created.json and
run.json. One finding per broken rule leads; per-case detail follows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from conformance.contract.document import target_operation
from conformance.contract.rules import rules
from conformance.reports import model as m
from conformance.reports.historyview import history_label, history_lines
from conformance.findings import Finding, Kind
from conformance.run.outcomes import TestResult
from conformance.reports.faults import fault_lines, group_faults
from conformance.settings import name_prefix
from conformance.run.cost import part_of
from conformance.run.ledger import Ledger
from conformance.wire.redact import excerpt, redact, visible

# The tally column each outcome counts in.
COLUMN: Mapping[Kind, str] = MappingProxyType({
    Kind.PASSED: "passed",
    Kind.FAILED: "failed",
    Kind.ACCEPTED: "accepted",
    Kind.TRANSPORT: "transport",
    Kind.NOT_TESTED: "not_tested",
    Kind.OFF: "off",
    Kind.SUITE_ERROR: "suite_error",
})
_ORDER: Mapping[str, int] = MappingProxyType({v: i for i, v in enumerate(m.VERDICTS)})


def finding_row(finding: Finding, test: str, accepted_by: str) -> m.FindingRow:
    ex = finding.exchange
    response = None
    if ex is not None:
        ctype = ex.header("content-type")
        shown = None if ctype is None else visible(ctype)
        response = m.Response(ex.status, shown, excerpt(ex.response_body, 300))
    return m.FindingRow(
        test=test,
        what=tuple(visible(w) for w in finding.what),
        hint=finding.hint,
        repeat=finding.repeat,
        reproduce=finding.reproduce or (ex.curl() if ex else None),
        response=response,
        accepted_by=accepted_by or None,
    )


@dataclass
class _Counts:
    """A rule's row while the results are walked."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMN.values(), 0))
    cases: int = 0
    findings: list[m.FindingRow] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def count(self, column: str) -> None:
        self.cases += 1
        self.counts[column] += 1

    def verdict(self) -> str:
        c = self.counts
        if c["failed"]:
            return "failed"
        if c["transport"] or c["not_tested"] or c["suite_error"]:
            return "not tested"
        if c["passed"] or c["accepted"]:
            return "passed"
        return "off" if c["off"] else "no case"


def rule_rows(results: list[TestResult]) -> tuple[m.RuleRow, ...]:
    """A row for every rule, failures first, then not tested, then passed."""
    known = rules()
    rows: dict[str, _Counts] = {rid: _Counts() for rid in known}  # every rule has a row
    for result in results:
        test = result.nodeid.split("::", 1)[-1]
        if result.kind in (Kind.FAILED, Kind.ACCEPTED):
            for rule in result.held:
                rows.setdefault(rule, _Counts()).count("passed")
            for rule in dict.fromkeys(f.rule for f in result.findings):
                row = rows.setdefault(rule, _Counts())
                row.count(COLUMN[result.kind])
                row.findings += [
                    finding_row(f, test, result.accepted_by)
                    for f in result.findings
                    if f.rule == rule
                ]
            continue
        for rule in result.declared:
            row = rows.setdefault(rule, _Counts())
            row.count(COLUMN[result.kind])
            if result.reason and result.reason not in row.reasons:
                row.reasons.append(result.reason)
    built = [
        m.RuleRow(
            rule=rid,
            text=known[rid].text if rid in known else rid,
            section=known[rid].section if rid in known else "",
            verdict=row.verdict(),
            cases=row.cases,
            findings=tuple(row.findings),
            reasons=tuple(row.reasons),
            **row.counts,
        )
        for rid, row in rows.items()
    ]
    return tuple(sorted(built, key=lambda r: (_ORDER[r.verdict], r.rule)))


def bypart_of(ledger: Ledger) -> dict[str, m.Part]:
    """Requests and campaigns per test module (the suite's parts), for the cost in run.json."""
    requests: dict[str, int] = {}
    campaigns: dict[str, int] = {}
    for test, count in ledger.by_test.items():
        requests[part_of(test)] = requests.get(part_of(test), 0) + count
    for campaign in ledger.created:
        campaigns[part_of(campaign["test"])] = campaigns.get(part_of(campaign["test"]), 0) + 1
    return {p: m.Part(requests.get(p, 0), campaigns.get(p, 0)) for p in {*requests, *campaigns}}


def build(results: list[TestResult], ledger: Ledger, run: m.RunInfo) -> m.Report:
    rows = rule_rows(results)
    tally = dict.fromkeys(COLUMN.values(), 0)
    for result in results:
        tally[COLUMN[result.kind]] += 1
    verdicts = {v.replace(" ", "_"): sum(r.verdict == v for r in rows) for v in m.VERDICTS}
    return m.Report(
        schema_version=m.SCHEMA_VERSION,
        operation=target_operation().label,
        run=run,
        requests=m.Requests(
            sent=ledger.sent,
            throttled=ledger.throttled,
            throttle_wait_s=round(ledger.throttle_wait, 1),
            pace_wait_s=round(ledger.pace_wait, 1),
            transport_errors=tuple(m.TransportFault(**e) for e in ledger.transport_errors),
            transport_faults=group_faults(ledger.transport_errors),
            campaigns_created=len(ledger.created),
            by_part=bypart_of(ledger),
            maybe_created=tuple(m.MaybeCreated(**c) for c in ledger.maybe_created),
        ),
        tests=m.Tally(**tally),
        verdicts=m.RuleVerdicts(**verdicts),
        results=tuple(
            m.ResultRow(
                test=r.nodeid,
                outcome=r.kind.value,
                rules=r.declared,
                broken=tuple(dict.fromkeys(f.rule for f in r.findings)),
            )
            for r in results
        ),
        rules=rows,
        suite_errors=tuple(
            m.SuiteError(r.nodeid, r.reason.removeprefix("suite error: "), r.traceback)
            for r in results
            if r.kind is Kind.SUITE_ERROR
        ),
    )


def created_list(ledger: Ledger, prefix: str) -> dict[str, Any]:
    """created.json: every campaign the run created, for a clean-up by hand (the vendor has no
    delete): its id, name and the run's name prefix when the name carries it (a name on a short
    length edge cannot), and the POSTs that may have created one."""
    campaigns = [
        {"id": c["id"], "name_prefix": prefix if str(c.get("name")).startswith(prefix) else None}
        | c
        for c in ledger.created
    ]
    return {"name_prefix": prefix, "campaigns": campaigns, "maybe_created": ledger.maybe_created}


def run_summary(report: m.Report) -> dict[str, Any]:
    """run.json: the run, and what it cost."""
    req = report.requests
    return asdict(report.run) | {
        "requests": req.sent,
        "campaigns_created": req.campaigns_created,
        "pace_wait_s": req.pace_wait_s,
        "by_part": {k: asdict(v) for k, v in sorted(req.by_part.items())},
    }
