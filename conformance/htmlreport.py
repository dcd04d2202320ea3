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

from conformance.redact import redact
from conformance.settings import KEY_VARIABLES

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d232a; margin: 0; background: #f6f7f9; }
main { max-width: 72rem; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .6rem; border-bottom: 1px solid #d5d9de; }
code, pre { font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #1d232a; color: #e8ecef;
      padding: .6rem .8rem; border-radius: 4px; margin: .3rem 0 .6rem; }
pre.body { background: #eef0f3; color: #1d232a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0;
     background: #fff; padding: .8rem 1rem; border: 1px solid #d5d9de; border-radius: 6px; }
dt { color: #5b6570; } dd { margin: 0; overflow-wrap: anywhere; }
.banner { padding: .7rem 1rem; border-radius: 6px; margin: .8rem 0; border: 1px solid; }
.stop { background: #fdecea; border-color: #e0a39b; } .early { background: #fff6dc; border-color: #e6c76a; }
.card { background: #fff; border: 1px solid #d5d9de; border-left: 5px solid #c62828;
        border-radius: 6px; padding: .6rem 1rem .4rem; margin: 0 0 1rem; }
.card h3 { margin: .2rem 0 .4rem; font-size: 1.05rem; overflow-wrap: anywhere; }
blockquote { margin: .3rem 0 .6rem; padding: .1rem .8rem; border-left: 3px solid #b8c0c8;
             color: #39424b; font-style: italic; }
.muted { color: #5b6570; } li, td, p { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #d5d9de; padding: .25rem .5rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; width: 4.5rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 9px; font-size: 13px;
         font-weight: 600; white-space: nowrap; }
.b-failed { background: #c62828; color: #fff; } .b-passed { background: #2e7d32; color: #fff; }
.b-not-tested { background: #f0a500; color: #1d232a; } .b-off { background: #78828c; color: #fff; }
.b-no-case { background: #dfe3e8; color: #39424b; }
"""


def verdict_word(doc: dict[str, Any]) -> str:
    """The run's verdict in a word or two: the part of the exit meaning before its colon."""
    meaning = str(doc["run"].get("exit_meaning") or "")
    return meaning.split(":", 1)[0] or f"exit status {doc['run'].get('exit_status')}"


def _badge(verdict: str) -> str:
    return f'<span class="badge b-{verdict.replace(" ", "-")}">{escape(verdict)}</span>'


def _header(doc: dict[str, Any]) -> list[str]:
    run, req = doc["run"], doc["requests"]
    facts = [
        ("Target", run.get("target")),
        ("Run id", run.get("run_id")),
        ("Seed", run.get("seed")),
        ("Requests sent", req.get("sent")),
        ("Throttled", req.get("throttled")),
        ("Transport faults", len(req.get("transport_errors") or [])),
        ("Campaigns created", req.get("campaigns_created")),
        ("Exit status", f"{run.get('exit_status')}: {run.get('exit_meaning', '')}"),
    ]
    out = ["<dl>"]
    out += [f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts]
    out.append("</dl>")
    if run.get("setup_error"):
        out.append(
            '<div class="banner stop"><strong>Stopped before any test:</strong> '
            f"{escape(run['setup_error'])}</div>"
        )
    if run.get("not_covered"):
        out.append(
            '<div class="banner early"><strong>Stopped early, the rest not tested:</strong> '
            f"{escape(run['not_covered'])}</div>"
        )
    return out


def _card(row: dict[str, Any]) -> list[str]:
    first = row["findings"][0]
    section = f' <span class="muted">({escape(row["section"])})</span>' if row["section"] else ""
    out = [
        f'<section class="card" id="{escape(row["rule"])}">',
        f"<h3><code>{escape(row['rule'])}</code>: {row['failed']} failing case(s){section}</h3>",
        f"<blockquote>{escape(row['text'])}</blockquote>",
        f"<p>First case <code>{escape(first['test'])}</code>:</p>",
        "<ul>",
        *(f"<li>{escape(what)}</li>" for what in first["what"]),
        "</ul>",
    ]
    if first.get("hint"):
        out.append(f"<p><strong>Hint:</strong> {escape(first['hint'])}</p>")
    if first.get("reproduce"):
        out += ["<p>Reproduce:</p>", f"<pre>{escape(first['reproduce'])}</pre>"]
    if resp := first.get("response"):
        out.append(
            f"<p>Response: status <strong>{escape(str(resp['status']))}</strong> "
            f"({escape(str(resp['content_type']))})</p>"
        )
        if resp.get("body"):
            out.append(f'<pre class="body">{escape(resp["body"])}</pre>')
    # The other cases by name only: the first one already shows what a failure looks like.
    others = list(dict.fromkeys(f["test"] for f in row["findings"][1:]))
    if others:
        out.append(f"<details><summary>{len(others)} more case(s)</summary><ul>")
        out += [f"<li><code>{escape(test)}</code></li>" for test in others]
        out.append("</ul></details>")
    out.append("</section>")
    return out


def _table(rows: list[dict[str, Any]]) -> list[str]:
    cols = ("cases", "passed", "failed", "accepted", "transport", "not_tested", "off")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in cols)
    out = [f"<table><thead><tr><th>rule</th><th>verdict</th>{head}</tr></thead><tbody>"]
    for r in rows:
        rule = escape(r["rule"])
        # A broken rule links to its card, where its text is quoted (once, not here again).
        name = f"<code>{rule}</code>"
        if r["verdict"] == "failed":
            name = f'<a href="#{rule}">{name}</a>'
        nums = "".join(f'<td class="n">{int(r.get(c, 0))}</td>' for c in cols)
        out.append(f"<tr><td>{name}</td><td>{_badge(r['verdict'])}</td>{nums}</tr>")
    out.append("</tbody></table>")
    return out


def _why(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        if r["verdict"] in ("not tested", "off"):
            reasons = r["reasons"] or ["no reason was recorded"]
            said = "was not tested" if r["verdict"] == "not tested" else "is off"
            lines += [
                f"<li><code>{escape(r['rule'])}</code> {said}: {escape(reason)}</li>"
                for reason in reasons
            ]
    return ["<ul>", *lines, "</ul>"] if lines else ["<p>Every rule with a case ran.</p>"]


def summary_html(doc: dict[str, Any]) -> str:
    rows = doc["rules"]
    failed = [r for r in rows if r["verdict"] == "failed"]
    title = f"Conformance: {doc['operation']} — {verdict_word(doc)}"
    body = [f"<h1>{escape(title)}</h1>", *_header(doc), "<h2>Findings</h2>"]
    if failed:
        body.append(
            f"<p>{len(failed)} rule(s) broken; one card per rule, its first case shown.</p>"
        )
        for r in failed:
            body += _card(r)
    else:
        body.append("<p>None: no rule was found broken.</p>")
    body += ["<h2>Rules</h2>", *_table(rows), "<h2>Not tested or off, and why</h2>", *_why(rows)]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>",
            "<body><main>",
            *body,
            "</main></body></html>",
            "",
        ]
    )


def write_summary(directory: Path, doc: dict[str, Any], secrets: list[str]) -> Path:
    """summary.html in `directory`, every form of every key masked."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "summary.html"
    path.write_text(redact(summary_html(doc), secrets), encoding="utf-8")
    return path


def markdown_summary(doc: dict[str, Any]) -> str:
    """For $GITHUB_STEP_SUMMARY: findings first, one line per broken rule, then the totals.
    Text is HTML-escaped: GitHub renders the summary as Markdown with inline HTML."""
    run, req, rows = doc["run"], doc["requests"], doc["rules"]
    failed = [r for r in rows if r["verdict"] == "failed"]
    lines = [
        f"### Conformance: {escape(doc['operation'])} — {escape(verdict_word(doc))}",
        "",
        f"Exit status {run.get('exit_status')}: {escape(str(run.get('exit_meaning', '')))}",
    ]
    for key, label in (
        ("setup_error", "Stopped before any test"),
        ("not_covered", "Stopped early"),
    ):
        if run.get(key):
            lines += ["", f"**{label}:** {escape(str(run[key]))}"]
    lines += ["", "**Findings**", ""]
    lines += [
        f"- `{r['rule']}`: {r['failed']} case(s): "
        + escape("; ".join(r["findings"][0]["what"])[:300] if r["findings"] else "")
        for r in failed
    ] or ["None."]
    count = {v: sum(r["verdict"] == v for r in rows) for v in ("not tested", "off", "passed")}
    lines += [
        "",
        f"**Totals:** {len(failed)} rule(s) broken, {count['not tested']} not tested, "
        f"{count['off']} off, {count['passed']} passed; {req.get('sent')} requests, "
        f"{req.get('throttled')} throttled, {len(req.get('transport_errors') or [])} transport "
        f"fault(s), {req.get('campaigns_created')} campaign(s) created. "
        f"Target {escape(str(run.get('target')))}, run `{run.get('run_id')}`, seed `{run.get('seed')}`.",
        "",
        "Details: the reports artifact (summary.html, conformance.md, report.html).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.htmlreport")
    parser.add_argument("--job-summary", type=Path, required=True, metavar="CONFORMANCE_JSON")
    args = parser.parse_args(argv)
    if not args.job_summary.is_file():
        # The suite never ran (a configuration stop before pytest): say so, don't fail the step.
        print(f"No conformance report ({args.job_summary}): the suite did not run; see its log.")
        return 0
    doc = json.loads(args.job_summary.read_text(encoding="utf-8"))
    # conformance.json is redacted already; masking again costs nothing should a key slip in.
    keys = [v for k in KEY_VARIABLES if (v := os.environ.get(k, "").strip())]
    sys.stdout.write(redact(markdown_summary(doc), keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
