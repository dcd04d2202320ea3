"""conformance.md: a person reads the findings first, one per broken rule, each rule quoted
once; then every rule's row; then the per-case detail. Whatever the target supplied (and the
run's own text that quotes it) is in code it cannot close (`mdsafe`): never markup."""

from __future__ import annotations

from conformance.reports.historyview import history_label, since_last_run_md
from conformance.reports.mdsafe import code, fence
from conformance.reports.model import Report


def markdown(report: Report) -> str:
    run, req = report.run, report.requests
    lines = [
        f"# Conformance report: {report.operation}",
        "",
        f"Target {code(run.target)}, run {code(run.run_id)}, seed {code(run.seed)}: "
        f"{req.sent} requests, {req.throttled} throttled, "
        f"{len(req.transport_errors)} transport faults, {req.campaigns_created} campaigns created.",
        "",
        f"**Verdict: {run.exit_meaning}** (exit status {run.exit_status}).",
    ]
    if run.setup_error:
        lines += ["", f"**Stopped before any test:** {code(run.setup_error)}"]
    if run.not_covered:
        lines += ["", f"**Stopped early, the rest not tested:** {code(run.not_covered)}"]
    lines += since_last_run_md(report)
    lines += ["", "## Findings", ""]
    if not report.broken:
        lines.append("None.")
    elif run.reproduce_note:
        lines += [f"To replay: {code(run.reproduce_note)}.", ""]
    for r in report.broken:
        first = r.findings[0]
        lines += [
            f"### `{r.rule}`: {r.failed} case(s){history_label(report, r.rule)}",
            "",
            f"> {r.text}",
            "",
            f"First case {code(first.test)}: " + code("; ".join(first.what)),
        ]
        if first.repeat:
            lines += ["", f"Re-run: {first.repeat}"]
        if first.hint:
            lines += ["", f"Hint: {code(first.hint)}"]
        if first.reproduce:
            lines += ["", "Reproduce:", "", *fence(first.reproduce, "sh")]
        if first.response:
            resp = first.response
            lines += [
                "",
                f"Response: {code(resp.status)} ({code(resp.content_type)}), body:",
                "",
                *fence(resp.body[:200]),
            ]
        lines.append("")
    if req.transport_faults:
        lines += ["## Transport faults", "", "One line per kind: its count and its first case.", ""]
        lines += [
            f"- `{g.kind}`: {g.count} exchange(s), first in {code(g.test)}: " + code(g.reason)
            for g in req.transport_faults
        ]
        lines.append("")
    if report.suite_errors:
        lines += ["## Suite errors (bugs of the suite, not findings against the target)", ""]
        for error in report.suite_errors:
            lines += [f"- {code(error.test)}: {code(error.error)}", "", *fence(error.traceback), ""]
    lines += [
        "## Rules",
        "",
        "| rule | verdict | cases | passed | failed | accepted | transport | not tested | off |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.rules:
        lines.append(
            f"| `{r.rule}` | {r.verdict} | {r.cases} | {r.passed} | {r.failed} | "
            f"{r.accepted} | {r.transport} | {r.not_tested} | {r.off} |"
        )
    reasons = [(r.rule, reason) for r in report.rules for reason in r.reasons]
    if reasons:
        lines += ["", "## Not tested or off, and why", ""]
        lines += [f"- `{rule}`: {code(reason)}" for rule, reason in reasons]
    if report.broken:
        lines += ["", "## Every failing case", ""]
        for r in report.broken:
            for f in r.findings:
                lines.append(f"- `{r.rule}` in {code(f.test)}: " + code("; ".join(f.what)))
    return "\n".join(lines) + "\n"
