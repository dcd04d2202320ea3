"""The per-rule matrix: conformance.json and conformance.md, plus created.json and run.json."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.redact import redact
from conformance.transport import Ledger
from conformance.verdict import rule_text


@dataclass
class Outcome:
    nodeid: str
    rules: list[str]
    outcome: str  # passed / failed / skipped / transport-error
    reason: str = ""
    curl: list[str] = field(default_factory=list)


def curl_lines(text: str) -> list[str]:
    """Curl lines of our messages (`request:  curl ...`) and of Schemathesis's (`Reproduce with`)."""
    found = []
    for line in text.splitlines():
        bare = line.strip().lstrip("|").strip().removeprefix("request:").strip()
        if bare.startswith("curl ") and bare not in found:
            found.append(bare)
    return found


def clean_reason(text: str) -> str:
    """The readable part of a failure: Schemathesis's own report without the traceback frames."""
    start = text.find("Schemathesis found")
    if start == -1:
        return text
    return "\n".join(line.strip().lstrip("|").rstrip() for line in text[start:].splitlines())


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "cases": 0,
            "passed": 0,
            "failed": 0,
            "accepted": 0,
            "skipped": 0,
            "transport_errors": 0,
            "failures": [],
            "skips": [],
        }
    )
    for out in outcomes:
        for rule in out.rules or ["unclassified"]:
            row = rules[rule]
            row["cases"] += 1
            key = {"transport-error": "transport_errors"}.get(out.outcome, out.outcome)
            row[key] += 1
            if out.outcome in ("failed", "transport-error", "accepted"):
                row["failures"].append(
                    {
                        "test": out.nodeid,
                        "reason": clean_reason(out.reason)[:2000],
                        "curl": out.curl,
                    }
                )
            elif out.outcome == "skipped" and out.reason not in row["skips"]:
                row["skips"].append(out.reason)
    return {rule: {"text": rule_text(rule), **row} for rule, row in sorted(rules.items())}


def write_reports(
    directory: Path,
    outcomes: list[Outcome],
    ledger: Ledger,
    run: dict[str, Any],
    secrets: list[str],
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    matrix = summarize(outcomes)
    totals = {
        k: sum(r[k] for r in matrix.values())
        for k in ("passed", "failed", "accepted", "skipped", "transport_errors")
    }
    doc = {
        "run": run,
        "requests": {
            "sent": ledger.sent,
            "throttled": ledger.throttled,
            "throttle_wait_s": round(ledger.throttle_wait, 1),
            "transport_errors": ledger.transport_errors,
        },
        "totals": totals,
        "rules": matrix,
    }
    _write(directory / "conformance.json", json.dumps(doc, indent=2, ensure_ascii=False), secrets)
    _write(directory / "conformance.md", _markdown(doc), secrets)
    _write(
        directory / "created.json",
        json.dumps(ledger.created, indent=2, ensure_ascii=False),
        secrets,
    )
    _write(directory / "run.json", json.dumps(run, indent=2), secrets)


def _write(path: Path, text: str, secrets: list[str]) -> None:
    path.write_text(redact(text, secrets), encoding="utf-8")


def _markdown(doc: dict[str, Any]) -> str:
    run, totals = doc["run"], doc["totals"]
    lines = [
        "# Conformance report: POST /v2/campaigns",
        "",
        f"Target `{run['target']}`, run `{run['run_id']}`, seed `{run['seed']}`, "
        f"{doc['requests']['sent']} requests ({doc['requests']['throttled']} throttled, "
        f"{len(doc['requests']['transport_errors'])} transport errors).",
        "",
        f"**{totals['passed']} passed, {totals['failed']} failed, {totals['accepted']} accepted "
        f"(baseline), {totals['skipped']} skipped, "
        f"{totals['transport_errors']} transport errors.**",
        "",
        "| rule | cases | passed | failed | accepted | skipped | transport |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rule, row in doc["rules"].items():
        lines.append(
            f"| `{rule}` | {row['cases']} | {row['passed']} | {row['failed']} | {row['accepted']} | {row['skipped']} | {row['transport_errors']} |"
        )
    for rule, row in doc["rules"].items():
        if not row["failures"] and not row["skips"]:
            continue
        lines += ["", f"## `{rule}`", "", f"> {row['text']}", ""]
        for failure in row["failures"]:
            first = failure["reason"].strip().splitlines()[:8]
            lines += [
                f"- **{failure['test']}**",
                "",
                "  ```",
                *[f"  {line}" for line in first],
                "  ```",
            ]
            lines += [f"  reproduce: `{c}`" for c in failure["curl"][:2]]
        lines += [f"- skipped: {reason}" for reason in row["skips"]]
    return "\n".join(lines) + "\n"
