"""The history's words in every report: a broken rule's label (new, persisting since DATE
(N runs), flaky), the rules fixed since the last run, and the job summary's opening line. Kept
apart from the renderers, which each call one function here."""

from __future__ import annotations

from html import escape

from conformance.reports.model import History, Report


def history_label(report: Report, rule: str) -> str:
    """" [new]", " [persisting since 2026-11-30 (3 runs)]", " [flaky]", or "" (no history)."""
    found = report.history.label(rule) if report.history else None
    return f" [{found.words}]" if found else ""


def _since(history: History) -> str:
    return f"run {history.previous_run} of {(history.previous_started or '')[:10]}"


def history_lines(report: Report) -> list[str]:
    """The terminal's lines after the findings: fixed rules, or that no earlier run exists."""
    h = report.history
    if h is None:
        return []
    if h.previous_run is None:
        return [f"history: the first recorded run of this target and contract ({h.db})"]
    fixed = ", ".join(h.fixed) or "none"
    new = ", ".join(h.new) or "none"
    return [f"since the last run ({_since(h)}): new {new}; fixed {fixed}"]


def since_last_run_md(report: Report) -> list[str]:
    """conformance.md's section: every broken rule's label and the fixed rules."""
    h = report.history
    if h is None:
        return []
    lines = ["", "## Since the last run", ""]
    if h.previous_run is None:
        return [*lines, "The first recorded run of this target and contract."]
    lines.append(f"Compared with {_since(h)}.")
    lines.append("")
    lines += [f"- `{x.rule}`: {x.words}" for x in h.labels] or ["- No rule is broken."]
    lines += [f"- `{rule}`: fixed (broken in the last run, passes now)" for rule in h.fixed]
    return lines


def _codes(rules: list[str]) -> str:
    return ", ".join(f"`{escape(rule, quote=False)}`" for rule in rules) or "none"


def job_summary_opening(report: Report) -> list[str]:
    """The job summary's first line: what is new since the last run, and what was fixed."""
    h = report.history
    if h is None:
        return []
    if h.previous_run is None:
        return ["New since the last run: no earlier run of this target is recorded.", ""]
    return [
        f"**New since the last run:** {_codes(h.new)}; **fixed:** {_codes(list(h.fixed))} "
        f"(compared with {escape(_since(h), quote=False)}).",
        "",
    ]


def label_badge_html(report: Report, rule: str) -> str:
    found = report.history.label(rule) if report.history else None
    if found is None:
        return ""
    return f'<p class="history-label"><span class="badge h-{found.label}">{escape(found.words)}</span></p>'


def with_label(card: list[str], report: Report, rule: str) -> list[str]:
    """A finding card with its history label under its heading."""
    badge = label_badge_html(report, rule)
    return [*card[:2], badge, *card[2:]] if badge else card
