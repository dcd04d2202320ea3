"""conformance.md: a person reads the findings first, one per broken rule, each rule quoted
once; then every rule's row; then the per-case detail."""

from __future__ import annotations

from typing import Any


def _fence(text: str) -> list[str]:
    return ["```text", text, "```"]


def markdown(doc: dict[str, Any]) -> str:
    run, req = doc["run"], doc["requests"]
    rows = doc["rules"]
    failed = [r for r in rows if r["verdict"] == "failed"]
    lines = [
        f"# Conformance report: {doc['operation']}",
        "",
        f"Target `{run['target']}`, run `{run['run_id']}`, seed `{run['seed']}`: "
        f"{req['sent']} requests, {req['throttled']} throttled, "
        f"{len(req['transport_errors'])} transport faults, {req['campaigns_created']} campaigns created.",
        "",
        f"**Verdict: {run.get('exit_meaning', '')}** (exit status {run.get('exit_status')}).",
    ]
    if run.get("setup_error"):
        lines += ["", f"**Stopped before any test:** {run['setup_error']}"]
    if run.get("not_covered"):
        lines += ["", f"**Stopped early, the rest not tested:** {run['not_covered']}"]
    lines += ["", "## Findings", ""]
    if not failed:
        lines.append("None.")
    elif run.get("reproduce_note"):
        lines += [f"To replay: {run['reproduce_note']}.", ""]
    for r in failed:
        first = r["findings"][0]
        lines += [
            f"### `{r['rule']}`: {r['failed']} case(s)",
            "",
            f"> {r['text']}",
            "",
            f"First case `{first['test']}`: " + "; ".join(first["what"]),
        ]
        if first.get("repeat"):
            lines.append(f"Re-run: {first['repeat']}")
        if first["hint"]:
            lines.append(f"Hint: {first['hint']}")
        if first["reproduce"]:
            lines += ["", "Reproduce:", "", *_fence(first["reproduce"])]
        if first["response"]:
            resp = first["response"]
            lines += [
                "",
                f"Response: {resp['status']} ({resp['content_type']}) `{resp['body'][:200]}`",
            ]
        lines.append("")
    lines += [
        "## Rules",
        "",
        "| rule | verdict | cases | passed | failed | accepted | transport | not tested | off |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['rule']}` | {r['verdict']} | {r['cases']} | {r['passed']} | {r['failed']} | "
            f"{r['accepted']} | {r['transport']} | {r['not_tested']} | {r['off']} |"
        )
    reasons = [(r["rule"], reason) for r in rows for reason in r["reasons"]]
    if reasons:
        lines += ["", "## Not tested or off, and why", ""]
        lines += [f"- `{rule}`: {reason}" for rule, reason in reasons]
    if failed:
        lines += ["", "## Every failing case", ""]
        for r in failed:
            for f in r["findings"]:
                lines.append(f"- `{r['rule']}` in `{f['test']}`: " + "; ".join(f["what"]))
    return "\n".join(lines) + "\n"
