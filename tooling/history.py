"""`make history`: the last runs of the target, one line each: when, exit status, broken rules,
what was new and what was fixed against the run before, and the p95 latency.

    python -m tooling.history [--db PATH] [--target ORIGIN] [--last N]

The target is BASE_URL's origin (as the history keys it), else the embedded reference server.
Reads the database read-only; sends nothing."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from conformance.reports import history
from conformance.reports.compare import Past
from conformance.reports.remember import origin
from conformance.settings import KEY_VARIABLES, Settings
from harness.plugin import EMBEDDED_LABEL


def _names(rules: set[str]) -> str:
    return ",".join(sorted(rules)) or "-"


def lines(runs: list[Past], shown: int) -> list[str]:
    """One line per run, the newest last; new and fixed against the run before it."""
    out = []
    for before, run in zip([None, *runs], runs, strict=False):
        if before is None and len(runs) > shown:
            continue  # only there to compare the first shown run with
        p = run.point
        broken = run.broken()
        passed = {r for r, v in run.verdicts.items() if v == "passed"}
        new = broken - before.broken() if before else set()
        fixed = before.broken() & passed if before else set()
        p95 = "-" if p.p95_ms is None else f"{p.p95_ms:.1f} ms"
        out.append(
            f"{p.started}  exit {p.exit_status}  broken {len(broken)} ({_names(broken)})  "
            f"new {_names(new)}  fixed {_names(fixed)}  p95 {p95}  run {p.run_id}"
        )
    return out[-shown:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.history", description=__doc__)
    parser.add_argument("--db", type=Path, help="the history (default: HISTORY_DB, else reports)")
    parser.add_argument("--target", help="the target's origin as recorded")
    parser.add_argument("--last", type=int, default=20, help="how many runs (default 20)")
    args = parser.parse_args(argv)
    path, _ = history.resolve(os.environ, Settings.reports_only().reports_dir)
    path = args.db or path
    if path is None:
        print("HISTORY_DB=off: no history is kept")
        return 0
    if not path.is_file():
        print(f"no history at {path} (a run of the suite starts one)")
        return 0
    secrets = [v for k in KEY_VARIABLES if (v := os.environ.get(k, "").strip())]
    base_url = os.environ.get("BASE_URL", "").strip()
    target = args.target or origin(base_url or EMBEDDED_LABEL, secrets)
    try:
        runs = history.runs(path, target, args.last + 1)
    except sqlite3.DatabaseError as exc:
        print(f"history {path} cannot be read: {exc}", file=sys.stderr)
        return 1
    if not runs:
        known = ", ".join(history.targets(path)) or "none"
        print(f"no run of {target} in {path}; targets recorded: {known}")
        return 0
    print(f"the last {min(len(runs), args.last)} run(s) of {target} ({path}):")
    print("\n".join(lines(runs, args.last)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
