"""What the terminal says at the end of a run, from the report already built (so the screen and
the files say the same): one block per broken rule, the suite's own errors, the transport
faults, the history, the rules off and any input the target rejected, then one last line, the
verdict: its word, the rules broken, off, not tested and passed, requests, campaigns, and where
the reports are."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.reports.faults import fault_lines
from conformance.reports.historyview import history_label, history_lines
from conformance.reports.model import Report
from conformance.run.inputs import OPTIONAL
from conformance.run.outcomes import VERDICT
from conformance.wire.redact import visible

_VARIABLE = re.compile("|".join(OPTIONAL))


def finding_blocks(report: Report) -> list[str]:
    lines = []
    for r in report.broken:
        first = r.findings[0]
        repeat = f" [{first.repeat}]" if first.repeat else ""
        label = history_label(report, r.rule)
        lines.append(
            f"FAIL {r.rule} ({r.failed} case(s)){label}{repeat}: {'; '.join(first.what)[:200]}"
        )
        lines.append(f"     rule: {r.text}")
        if first.hint:
            lines.append(f"     hint: {visible(first.hint)[:400]}")
        if first.reproduce:
            lines.append(f"     reproduce: {first.reproduce[:400]}")
    if report.run.reproduce_note and report.broken:
        lines.append(f"reproduce: {report.run.reproduce_note}")
    return lines


def error_lines(report: Report, reports_dir: Path) -> list[str]:
    lines = []
    for error in report.suite_errors:
        if error.test.startswith("<end of run: "):
            step = error.test.removeprefix("<end of run: ").removesuffix(">")
            where = reports_dir / "suite-error.txt"
            lines.append(
                f"SUITE ERROR at the end of the run, {step}: {error.error} (a bug of the suite, "
                f"not the target; traceback in {where})"
            )
            continue
        test = error.test.split("::", 1)[-1]
        lines.append(
            f"SUITE ERROR in {test}: {error.error} (a bug of the suite, not the target; "
            "traceback in conformance.json)"
        )
    return lines


def off_lines(report: Report) -> list[str]:
    """The rules off and the variables that turn them on; the inputs the target rejected."""
    off = [r for r in report.rules if r.verdict == "off"]
    rejected = list(dict.fromkeys(x for r in off for x in r.reasons if "not runnable" in x))
    missing = [r for r in off if not any("not runnable" in x for x in r.reasons)]
    variables = sorted({v for r in missing for x in r.reasons for v in _VARIABLE.findall(x)})
    lines = []
    if missing:
        accepted = set(report.run.allowed_off)
        names = ", ".join(r.rule + (" (accepted)" if r.rule in accepted else "") for r in missing)
        turn_on = f" (set {', '.join(variables)} to turn them on)" if variables else ""
        lines.append(f"off: {names}{turn_on}")
    lines += [f"input: {reason}" for reason in rejected]
    return lines


def verdict_line(report: Report, reports_dir: Path) -> str:
    run, v, req = report.run, report.verdicts, report.requests
    word = VERDICT.get(run.exit_status, f"EXIT {run.exit_status}")
    detail = (
        f"{v.failed} rule(s) broken, {v.off} off, {v.not_tested} not tested, {v.passed} passed; "
        f"{req.sent} requests; {req.campaigns_created} campaign(s)"
    )
    if run.setup_error:
        detail = f"{visible(run.setup_error)}; {detail}"
    elif run.not_covered:
        detail = f"{detail}; stopped early: {visible(run.not_covered)}"
    return f"{word}: {detail}; reports in {reports_dir}/ (exit status {run.exit_status})"


def screen_lines(report: Report, reports_dir: Path) -> list[str]:
    """Everything the screen says once the run is reported, the verdict last; a setup stop is
    its verdict line alone."""
    if report.run.setup_error:
        return [verdict_line(report, reports_dir)]
    lines = finding_blocks(report)
    for entry in report.run.baseline.stale:
        lines.append(
            f"baseline: entry {entry.id} ({entry.check} / {entry.signature}) no longer "
            "reproduces: stale"
        )
    lines += error_lines(report, reports_dir)
    lines += fault_lines(report.requests.transport_faults)
    lines += history_lines(report)
    lines += off_lines(report)
    return [*lines, verdict_line(report, reports_dir)]
