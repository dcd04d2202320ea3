"""conformance.md: a person reads the findings first, one per broken rule, each rule quoted
once; then every rule's row; then the per-case detail. Whatever the target supplied (and what
the checks quote of it) is in code it cannot close (`mdsafe`): it never becomes markup."""

from __future__ import annotations

from typing import Any

from conformance.reports.mdsafe import code, fence


def markdown(doc: dict[str, Any]) -> str:
    run, req = doc["run"], doc["requests"]
    rows = doc["rules"]
    failed = [r for r in rows if r["verdict"] == "failed"]
    lines = [
        f"# Conformance report: {doc['operation']}",
        "",
        f"Target {code(run['target'])}, run {code(run['run_id'])}, seed {code(run['seed'])}: "
        f"{req['sent']} requests, {req['throttled']} throttled, "
        f"{len(req['transport_errors'])} transport faults, {req['campaigns_created']} campaigns created.",
        "",
        f"**Verdict: {run.get('exit_meaning', '')}** (exit status {run.get('exit_status')}).",
    ]
    if run.get("setup_error"):
        lines += ["", f"**Stopped before any test:** {code(run['setup_error'])}"]
    if run.get("not_covered"):
        lines += ["", f"**Stopped early, the rest not tested:** {code(run['not_covered'])}"]
    lines += ["", "## Findings", ""]
    if not failed:
        lines.append("None.")
    elif run.get("reproduce_note"):
        lines += [f"To replay: {code(run['reproduce_note'])}.", ""]
    for r in failed:
        first = r["findings"][0]
        lines += [
            f"### `{r['rule']}`: {r['failed']} case(s)",
            "",
            f"> {r['text']}",
            "",
            f"First case {code(first['test'])}: " + code("; ".join(first["what"])),
        ]
        if first["hint"]:
            lines += ["", f"Hint: {code(first['hint'])}"]
        if first["reproduce"]:
            lines += ["", "Reproduce:", "", *fence(first["reproduce"], "sh")]
        if first["response"]:
            resp = first["response"]
            lines += [
                "",
                f"Response: {code(resp['status'])} ({code(resp['content_type'])}), body:",
                "",
                *fence(resp["body"][:200]),
            ]
        lines.append("")
    if groups := req.get("transport_faults"):
        lines += ["## Transport faults", "", "One line per kind: its count and its first case.", ""]
        lines += [
            f"- `{g['kind']}`: {g['count']} exchange(s), first in {code(g['test'])}: "
            + code(g["reason"])
            for g in groups
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
        lines += [f"- `{rule}`: {code(reason)}" for rule, reason in reasons]
    if failed:
        lines += ["", "## Every failing case", ""]
        for r in failed:
            for f in r["findings"]:
                lines.append(f"- `{r['rule']}` in {code(f['test'])}: " + code("; ".join(f["what"])))
    return "\n".join(lines) + "\n"
