"""conformance.md: a person reads the findings first, one per broken rule, each rule quoted
once; then every rule's row; then the per-case detail."""

from __future__ import annotations

from conformance.reports.historyview import history_label, since_last_run_md
from conformance.reports.model import Report


def _fence(text: str) -> list[str]:
    return ["```text", text, "```"]


def markdown(report: Report) -> str:
    run, req = report.run, report.requests
    lines = [
        f"# Conformance report: {report.operation}",
        "",
        f"Target `{run.target}`, run `{run.run_id}`, seed `{run.seed}`: "
        f"{req.sent} requests, {req.throttled} throttled, "
        f"{len(req.transport_errors)} transport faults, {req.campaigns_created} campaigns created.",
        "",
        f"**Verdict: {run.exit_meaning}** (exit status {run.exit_status}).",
    ]
    if run.setup_error:
        lines += ["", f"**Stopped before any test:** {run.setup_error}"]
    if run.not_covered:
        lines += ["", f"**Stopped early, the rest not tested:** {run.not_covered}"]
    lines += since_last_run_md(report)
    lines += ["", "## Findings", ""]
    if not report.broken:
        lines.append("None.")
    elif run.reproduce_note:
        lines += [f"To replay: {run.reproduce_note}.", ""]
    for r in report.broken:
        first = r.findings[0]
        lines += [
            f"### `{r.rule}`: {r.failed} case(s){history_label(report, r.rule)}",
            "",
            f"> {r.text}",
            "",
            f"First case `{first.test}`: " + "; ".join(first.what),
        ]
        if first.repeat:
            lines.append(f"Re-run: {first.repeat}")
        if first.hint:
            lines.append(f"Hint: {first.hint}")
        if first.reproduce:
            lines += ["", "Reproduce:", "", *_fence(first.reproduce)]
        if first.response:
            resp = first.response
            lines += [
                "",
                f"Response: {resp.status} ({resp.content_type}) `{resp.body[:200]}`",
            ]
        lines.append("")
    if report.suite_errors:
        lines += ["## Suite errors (bugs of the suite, not findings against the target)", ""]
        for error in report.suite_errors:
            lines += [f"- `{error.test}`: {error.error}", "", *_fence(error.traceback), ""]
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
        lines += [f"- `{rule}`: {reason}" for rule, reason in reasons]
    if report.broken:
        lines += ["", "## Every failing case", ""]
        for r in report.broken:
            for f in r.findings:
                lines.append(f"- `{r.rule}` in `{f.test}`: " + "; ".join(f.what))
    return "\n".join(lines) + "\n"
