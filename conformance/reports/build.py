"""Reports from typed outcomes: conformance.json (the data), conformance.md (for a person),
created.json and run.json. One finding per broken rule leads; per-case detail follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.contract.document import target_operation
from conformance.run.findings import Finding, Kind
from conformance.wire.ledger import Ledger
from conformance.run.outcomes import TestResult
from conformance.reports.faults import fault_lines, group_faults
from conformance.wire.redact import excerpt, redact, visible
from conformance.contract.rules import rule_text, rules
from conformance.run.settings import Settings

COUNTS = ("passed", "failed", "accepted", "transport", "not_tested", "off")
_KIND_COUNT = {
    Kind.PASSED: "passed",
    Kind.FAILED: "failed",
    Kind.ACCEPTED: "accepted",
    Kind.TRANSPORT: "transport",
    Kind.NOT_TESTED: "not_tested",
    Kind.OFF: "off",
}


def finding_dict(finding: Finding, test: str) -> dict[str, Any]:
    ex = finding.exchange
    return {
        "test": test,
        "what": [visible(w) for w in finding.what],
        "hint": finding.hint,
        "reproduce": ex.curl() if ex else None,
        "response": {
            "status": ex.status,
            "content_type": None if (ct := ex.header("content-type")) is None else visible(ct),
            "body": excerpt(ex.response_body, 300),
        }
        if ex
        else None,
    }


def verdict_of(row: dict[str, Any]) -> str:
    if row["failed"]:
        return "failed"
    if row["transport"] or row["not_tested"]:
        return "not tested"
    if row["passed"] or row["accepted"]:
        return "passed"
    return "off" if row["off"] else "no case"


_ORDER = {"failed": 0, "not tested": 1, "off": 2, "no case": 3, "passed": 4}


def matrix(results: list[TestResult]) -> list[dict[str, Any]]:
    """A row for every rule, failures first, then not tested, then passed."""
    known = rules()
    rows: dict[str, dict[str, Any]] = {}

    def row(rule: str) -> dict[str, Any]:
        if rule not in rows:
            quoted = known.get(rule)
            rows[rule] = (
                {
                    "rule": rule,
                    "text": quoted.text if quoted else rule_text(rule),
                    "section": quoted.section if quoted else "",
                    "cases": 0,
                }
                | dict.fromkeys(COUNTS, 0)
                | {"findings": [], "reasons": []}
            )
        return rows[rule]

    for rid in known:
        row(rid)  # every rule has a row, passed or not

    for result in results:
        test = result.nodeid.split("::", 1)[-1]
        if result.kind in (Kind.FAILED, Kind.ACCEPTED):
            for rule in result.held:
                row(rule)["cases"] += 1
                row(rule)["passed"] += 1
            for rule in dict.fromkeys(f.rule for f in result.findings):
                r = row(rule)
                r["cases"] += 1
                r[_KIND_COUNT[result.kind]] += 1
                r["findings"] += [
                    finding_dict(f, test) | {"accepted_by": result.accepted_by or None}
                    for f in result.findings
                    if f.rule == rule
                ]
            continue
        for rule in result.declared:
            r = row(rule)
            r["cases"] += 1
            r[_KIND_COUNT[result.kind]] += 1
            if result.reason and result.reason not in r["reasons"]:
                r["reasons"].append(result.reason)
    ordered = sorted(rows.values(), key=lambda r: (_ORDER[verdict_of(r)], r["rule"]))
    return [r | {"verdict": verdict_of(r)} for r in ordered]


def _totals(results: list[TestResult]) -> dict[str, int]:
    totals = dict.fromkeys(COUNTS, 0)
    for result in results:
        totals[_KIND_COUNT[result.kind]] += 1
    return totals


def by_part(ledger: Ledger) -> dict[str, dict[str, int]]:
    """Requests and campaigns per test module (the suite's parts), for the cost in run.json."""
    parts: dict[str, dict[str, int]] = {}
    for test, count in ledger.by_test.items():
        part = test.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        parts.setdefault(part, {"requests": 0, "campaigns": 0})["requests"] += count
    for campaign in ledger.created:
        part = campaign["test"].split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        parts.setdefault(part, {"requests": 0, "campaigns": 0})["campaigns"] += 1
    return parts


def build(results: list[TestResult], ledger: Ledger, run: dict[str, Any]) -> dict[str, Any]:
    return {
        "operation": target_operation().label,
        "run": run,
        "requests": {
            "sent": ledger.sent,
            "throttled": ledger.throttled,
            "throttle_wait_s": round(ledger.throttle_wait, 1),
            "pace_wait_s": round(ledger.pace_wait, 1),
            "transport_errors": ledger.transport_errors,
            "transport_faults": group_faults(ledger.transport_errors),
            "campaigns_created": len(ledger.created),
            "by_part": by_part(ledger),
            "maybe_created": ledger.maybe_created,
        },
        "tests": _totals(results),
        # Every test's outcome in run order, for tools (the bench's first failure) to read.
        "results": [
            {
                "test": r.nodeid,
                "outcome": r.kind.value,
                "rules": list(r.declared),
                "broken": list(dict.fromkeys(f.rule for f in r.findings)),
            }
            for r in results
        ],
        "rules": matrix(results),
    }


def write_reports(
    directory: Path,
    results: list[TestResult],
    ledger: Ledger,
    run: dict[str, Any],
    secrets: list[str],
) -> dict[str, Any]:
    """Every report file from one built report, which is returned for the terminal and
    report.html (nothing is read back from disk)."""
    from conformance.reports.htmlreport import write_summary
    from conformance.reports.markdown import markdown

    directory.mkdir(parents=True, exist_ok=True)
    doc = build(results, ledger, run)
    run["requests"] = doc["requests"]["sent"]
    run["campaigns_created"] = doc["requests"]["campaigns_created"]
    run["pace_wait_s"] = doc["requests"]["pace_wait_s"]
    run["by_part"] = doc["requests"]["by_part"]
    _write(directory / "conformance.json", json.dumps(doc, indent=2, ensure_ascii=False), secrets)
    _write(directory / "conformance.md", markdown(doc), secrets)
    created = {"campaigns": ledger.created, "maybe_created": ledger.maybe_created}
    _write(directory / "created.json", json.dumps(created, indent=2, ensure_ascii=False), secrets)
    _write(directory / "run.json", json.dumps(run, indent=2), secrets)
    write_summary(directory, doc, secrets)
    return doc


def _write(path: Path, text: str, secrets: list[str]) -> None:
    path.write_text(redact(text, secrets), encoding="utf-8")


def terminal_summary(doc: dict[str, Any], settings: Settings) -> list[str]:
    """One line per broken rule, then what the run did, then where the reports are; from the
    report already built (`build`), so the terminal and the files say the same."""
    rows, req = doc["rules"], doc["requests"]
    failed = [r for r in rows if r["verdict"] == "failed"]
    lines = []
    for r in failed:
        first = r["findings"][0]
        lines.append(f"FAIL {r['rule']} ({r['failed']} case(s)): {'; '.join(first['what'])[:200]}")
        lines.append(f"     {r['text']}")
        if first["reproduce"]:
            lines.append(f"     reproduce: {first['reproduce'][:400]}")
    lines += fault_lines(req.get("transport_faults") or [])
    untested = [r["rule"] for r in rows if r["verdict"] == "not tested"]
    lines.append(
        f"conformance: {len(failed)} rule(s) broken, {len(untested)} not tested, "
        f"{sum(r['verdict'] == 'passed' for r in rows)} passed; {req['sent']} requests, "
        f"{req['throttled']} throttled, {len(req['transport_errors'])} transport fault(s), "
        f"{req['campaigns_created']} campaign(s) created"
    )
    if doc["run"].get("not_covered"):
        lines.append(
            f"stopped early: {doc['run']['not_covered']}; the rest is reported as not tested"
        )
    lines.append(f"reports: {settings.reports_dir}/conformance.md (seed {settings.seed})")
    return lines
