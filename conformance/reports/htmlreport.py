"""summary.html and the CI job summary, both from conformance.json: a person reads the findings
first, one card per broken rule, each rule quoted once; then every rule's verdict; then why
anything was not tested. The page is self-contained (no fonts, scripts or CDN) so it opens from
a CI artifact offline, and every long line wraps: nothing scrolls sideways at 1280 px."""

from __future__ import annotations

import argparse
import json
import os
import sys
from html import escape
from pathlib import Path
from typing import Any

from conformance.reports.historychart import HISTORY_CSS, history_section
from conformance.reports.historyview import history_label, job_summary_opening, with_label
from conformance.reports.model import VERDICTS, Report, RuleRow
from conformance.reports.mdsafe import code
from conformance.wire.redact import redact, visible
from conformance.settings import KEY_VARIABLES
from conformance.wire.redact import redact

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d232a; margin: 0; background: #f6f7f9; }
main { max-width: 72rem; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .6rem; border-bottom: 1px solid #d5d9de; }
code, pre { font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #1d232a; color: #e8ecef;
      padding: .6rem .8rem; border-radius: 4px; margin: .3rem 0 .6rem; }
pre.body { background: #eef0f3; color: #1d232a; }
dl { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: .15rem 1rem;
     margin: 0; background: #fff; padding: .8rem 1rem; border: 1px solid #d5d9de; border-radius: 6px; }
dt { color: #5b6570; } dd { margin: 0; overflow-wrap: anywhere; }
dd.wide { grid-column: 2 / -1; font-weight: 600; }
.banner { padding: .7rem 1rem; border-radius: 6px; margin: .8rem 0; border: 1px solid; }
.stop { background: #fdecea; border-color: #e0a39b; } .early { background: #fff6dc; border-color: #e6c76a; }
.card { background: #fff; border: 1px solid #d5d9de; border-left: 5px solid #c62828;
        border-radius: 6px; padding: .6rem 1rem .4rem; margin: 0 0 1rem; }
.card h3 { margin: .2rem 0 .4rem; font-size: 1.05rem; overflow-wrap: anywhere; }
.card h3 code { font-size: 1rem; }
blockquote { margin: .3rem 0 .6rem; padding: .1rem .8rem; border-left: 3px solid #b8c0c8;
             color: #39424b; font-style: italic; }
.muted { color: #5b6570; } li, td, p { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #d5d9de; padding: .25rem .5rem; text-align: left; }
th.v, td.v { width: 1%; white-space: nowrap; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; width: 1%; white-space: nowrap; }
td.z { color: #b8c0c8; } .tally .badge { margin-right: .3rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 9px; font-size: 13px;
         font-weight: 600; white-space: nowrap; }
.b-failed { background: #c62828; color: #fff; } .b-passed { background: #2e7d32; color: #fff; }
.b-not-tested { background: #f0a500; color: #1d232a; } .b-off { background: #78828c; color: #fff; }
.b-no-case { background: #dfe3e8; color: #39424b; }
"""


def _badge(verdict: str, count: int | None = None) -> str:
    label = verdict if count is None else f"{count} {verdict}"
    return f'<span class="badge b-{verdict.replace(" ", "-")}">{escape(label)}</span>'


def _or(value: Any) -> Any:
    return "not set" if value is None else value


def _header(report: Report) -> list[str]:
    run, req = report.run, report.requests
    # Read in pairs, left to right: which run, then what it cost.
    facts = [
        ("Target", run.target),
        ("Run id", run.run_id),
        ("Seed", run.seed),
        ("Requests sent", req.sent),
        ("Campaigns created", req.campaigns_created),
        ("Throttled", req.throttled),
        ("Transport faults", len(req.transport_errors)),
        ("Seconds", run.seconds),
    ]
    exit_line = f"{run.exit_status}: {run.exit_meaning}"
    # The exit status on a row of its own: its meaning is a sentence, and the verdict.
    out = [f'<dl><dt>Exit status</dt><dd class="wide">{escape(exit_line)}</dd>']
    # None is a setup stop's target (no configuration was accepted): say so in words.
    out += [f"<dt>{escape(k)}</dt><dd>{escape(str(_or(v)))}</dd>" for k, v in facts]
    out.append("</dl>")
    for said, css, label in (
        (run.setup_error, "stop", "Stopped before any test:"),
        (run.not_covered, "early", "Stopped early, the rest not tested:"),
    ):
        if said:
            out.append(f'<div class="banner {css}"><strong>{label}</strong> {escape(said)}</div>')
    if report.suite_errors:
        out.append(
            '<div class="banner stop"><strong>Suite errors (bugs of the suite, not findings '
            "against the target):</strong><ul>"
            + "".join(
                f"<li><code>{escape(e.test)}</code>: {escape(e.error)}</li>"
                for e in report.suite_errors
            )
            + "</ul></div>"
        )
    return out


def _card(row: RuleRow) -> list[str]:
    first = row.findings[0]
    section = f' <span class="muted">({escape(row.section)})</span>' if row.section else ""
    out = [
        f'<section class="card" id="{escape(row.rule)}">',
        f"<h3><code>{escape(row.rule)}</code>: {row.failed} failing case(s){section}</h3>",
        f"<blockquote>{escape(row.text)}</blockquote>",
        f"<p>First case <code>{escape(first.test)}</code>:</p>",
        "<ul>",
        *(f"<li>{escape(what)}</li>" for what in first.what),
        "</ul>",
    ]
    if first.repeat:
        out.append(f"<p><strong>Re-run:</strong> {escape(first.repeat)}</p>")
    if first.hint:
        out.append(f"<p><strong>Hint:</strong> {escape(first.hint)}</p>")
    if first.reproduce:
        out += ["<p>Reproduce:</p>", f"<pre>{escape(first.reproduce)}</pre>"]
    if resp := first.response:
        out.append(
            f"<p>Response: status <strong>{escape(str(resp.status))}</strong> "
            f"({escape(str(resp.content_type))})</p>"
        )
        if resp.body:
            out.append(f'<pre class="body">{escape(resp.body)}</pre>')
    # The other cases by name only: the first one already shows what a failure looks like.
    others = list(dict.fromkeys(f.test for f in row.findings[1:]))
    if others:
        out.append(f"<details><summary>{len(others)} more case(s)</summary><ul>")
        out += [f"<li><code>{escape(test)}</code></li>" for test in others]
        out.append("</ul></details>")
    out.append("</section>")
    return out


def _table(rows: tuple[RuleRow, ...]) -> list[str]:
    cols = ("cases", "passed", "failed", "accepted", "transport", "not_tested", "off")
    head = "".join(f'<th class="n">{c.replace("_", " ")}</th>' for c in cols)
    out = [f"<table><thead><tr><th>rule</th><th class='v'>verdict</th>{head}</tr></thead><tbody>"]
    for r in rows:
        rule = escape(r.rule)
        # A broken rule links to its card, where its text is quoted (once, not here again).
        name = f"<code>{rule}</code>"
        if r.verdict == "failed":
            name = f'<a href="#{rule}">{name}</a>'
        # Zeros muted: the eye goes to the counts that say something.
        nums = "".join(
            f'<td class="n{" z" if not getattr(r, c) else ""}">{int(getattr(r, c))}</td>'
            for c in cols
        )
        out.append(f"<tr><td>{name}</td><td class='v'>{_badge(r.verdict)}</td>{nums}</tr>")
    out.append("</tbody></table>")
    return out


def _codes(rules: list[str]) -> str:
    return ", ".join(f"<code>{escape(rule)}</code>" for rule in rules)


def _why(rows: tuple[RuleRow, ...]) -> list[str]:
    # Grouped by reason: a stopped run gives dozens of rules one reason; say it once.
    groups: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r.verdict in ("not tested", "off"):
            for reason in r.reasons or ("no reason was recorded",):
                groups.setdefault((r.verdict, reason), []).append(r.rule)
    lines = [
        f"<li>{'Not tested' if verdict == 'not tested' else 'Off'} because {escape(reason)}: "
        f"{_codes(rules)}{f' ({len(rules)} rules)' if len(rules) > 1 else ''}.</li>"
        for (verdict, reason), rules in groups.items()
    ]
    out = ["<ul>", *lines, "</ul>"] if lines else ["<p>Every rule that had a case ran.</p>"]
    if none := [r.rule for r in rows if r.verdict == "no case"]:
        # No test in this run judged them: neither a pass nor a gap in the plan by itself.
        out.append(f"<p>No case of this run counted for {len(none)} rule(s): {_codes(none)}.</p>")
    return out


def _tally(report: Report) -> dict[str, int]:
    return {v: getattr(report.verdicts, v.replace(" ", "_")) for v in VERDICTS}


def summary_html(report: Report) -> str:
    rows = report.rules
    failed = report.broken
    title = f"Conformance: {report.operation} — {report.verdict_word}"
    badges = " ".join(_badge(v, n) for v, n in _tally(report).items() if n)
    body = [f"<h1>{escape(title)}</h1>", f'<p class="tally">Rules: {badges}</p>', *_header(report)]
    body.append("<h2>Findings</h2>")
    if failed:
        body.append(
            f"<p>{len(failed)} rule(s) broken; one card per rule, its first case shown.</p>"
        )
        for r in failed:
            body += with_label(_card(r), report, r.rule)
    else:
        # "None" must not read as a pass when the run stopped before judging (some) rules.
        run = report.run
        nothing = "no rule was found broken"
        if run.setup_error:
            nothing = "the run stopped before any test, so no rule was judged"
        elif run.not_covered:
            nothing = "no rule was found broken in what ran before the stop"
        body.append(f"<p>None: {nothing}.</p>")
    if groups := report.requests.transport_faults:
        body += ["<h2>Transport faults</h2>", "<ul>"]
        body += [
            f"<li><code>{escape(g.kind)}</code>: {g.count} exchange(s), first in "
            f"<code>{escape(g.test)}</code>: {escape(visible(g.reason))}</li>"
            for g in groups
        ]
        body.append("</ul>")
    body += ["<h2>Rules</h2>", *_table(rows), "<h2>Not tested or off, and why</h2>", *_why(rows)]
    body += history_section(report)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}{HISTORY_CSS}</style></head>",
            "<body><main>",
            *body,
            "</main></body></html>",
            "",
        ]
    )


def write_summary(directory: Path, report: Report, secrets: list[str]) -> Path:
    """summary.html in `directory`, every form of every key masked."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "summary.html"
    path.write_text(redact(summary_html(report), secrets), encoding="utf-8")
    return path


def markdown_summary(report: Report) -> str:
    """For $GITHUB_STEP_SUMMARY: findings first, one line per broken rule, then the totals.
    GitHub renders it as Markdown with inline HTML: text from the run is in code spans it cannot
    close (`mdsafe.code`); what the suite says itself (rule ids, counts, labels) is plain."""
    run, req = report.run, report.requests
    lines = [
        *job_summary_opening(report),
        f"### Conformance: {report.operation} — {report.verdict_word}",
        "",
        f"Exit status {run.exit_status}: {run.exit_meaning}",
    ]
    for said, label in (
        (run.setup_error, "Stopped before any test"),
        (run.not_covered, "Stopped early"),
    ):
        if said:
            lines += ["", f"**{label}:** {code(said)}"]
    lines += ["", "**Findings**", ""]
    lines += [
        f"- `{r.rule}`{history_label(report, r.rule)}: {r.failed} case(s): "
        + code("; ".join(r.findings[0].what)[:300] if r.findings else "")
        for r in report.broken
    ] or ["None."]
    if req.transport_faults:
        lines += ["", "**Transport faults**", ""]
        lines += [
            f"- `{g.kind}`: {g.count} exchange(s), first in {code(g.test)}: "
            + code(g.reason[:300])
            for g in req.transport_faults
        ]
    v = report.verdicts
    lines += [
        "",
        f"**Totals:** {v.failed} rule(s) broken, {v.not_tested} not tested, "
        f"{v.off} off, {v.no_case} with no case, {v.passed} passed; "
        f"{len(report.suite_errors)} suite error(s); {req.sent} requests, "
        f"{req.throttled} throttled, {len(req.transport_errors)} transport "
        f"fault(s), {req.campaigns_created} campaign(s) created. "
        f"Target {code(run.target)}, run {code(run.run_id)}, seed {code(run.seed)}.",
        "",
        "Details: the reports artifact (summary.html, conformance.md, junit.xml).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reports.htmlreport")
    parser.add_argument("--job-summary", type=Path, required=True, metavar="CONFORMANCE_JSON")
    args = parser.parse_args(argv)
    if not args.job_summary.is_file():
        # The suite never ran (a configuration stop before pytest): say so, don't fail the step.
        print(f"No conformance report ({args.job_summary}): the suite did not run; see its log.")
        return 0
    report = Report.load(args.job_summary)
    # conformance.json is redacted already; masking again costs nothing should a key slip in.
    keys = [v for k in KEY_VARIABLES if (v := os.environ.get(k, "").strip())]
    sys.stdout.write(redact(markdown_summary(report), keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
