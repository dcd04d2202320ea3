"""The bench's measured figures for issue 19: the gate paced at RATE_LIMIT=60 with every
optional input (the rate-limit check included) against an outside reference server that
enforces 60 a minute, on a fixed window and on a sliding one; and `make selftest`'s phase
times (from the last `make selftest`, reports/selftest-times.json). Measured, not computed:
the wall time of each run, the requests the server's ledger and the report count, the floor
(requests / rate: what the pace alone allows) and the ratio of the wall to the floor.

Usage: python -m tooling.bench_paced [--windows fixed,sliding] [--timeout 600]

Writes $REPORTS_DIR/bench-paced.md and bench-paced.json (default reports/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from conformance.run.settings import ROOT
from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env
from tooling.childrun import run_suite

RATE = 60
WINDOW = 60.0
WINDOWS = {"fixed": None, "sliding": "sliding_window_rate_limit"}
GATE_SEED = "20261126"  # make gate's
COMMAND = "python -m tooling.bench_paced"


def paced_gate(window: str, reports: Path, timeout: float) -> dict[str, Any]:
    """One paced gate against a fresh server enforcing RATE per WINDOW on `window`."""
    keys = EmbeddedKeys.fresh()
    load = os.getloadavg()
    with embedded_server(keys, rate_limit=RATE, rate_window=WINDOW, variant=WINDOWS[window]) as url:
        env = child_env(
            BASE_URL=url,
            API_KEY=keys.api_key,
            FORBIDDEN_API_KEY=keys.forbidden_api_key,
            OTHER_API_KEY=keys.other_api_key,
            TEMPLATE_ID=keys.template_id,
            RATE_LIMIT=str(RATE),
            SEED=GATE_SEED,
            DERANDOMIZE="1",
        )
        child = run_suite(reports / window, "-q", env=env, timeout=timeout)
    report = child.report()
    sent = report.requests.sent if report is not None else 0
    floor = sent * WINDOW / RATE
    return {
        "window": window,
        "exit": child.code,
        "wall_s": child.seconds,
        "requests": sent,
        "planned_at_most": report.run.budget.planned_at_most if report is not None else None,
        "throttled": report.requests.throttled if report is not None else None,
        "floor_s": round(floor, 1),
        "ratio": round(child.seconds / floor, 2) if floor else None,
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def selftest_times(reports: Path) -> dict[str, Any] | None:
    path = reports / "selftest-times.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def render(runs: list[dict[str, Any]], selftest: dict[str, Any] | None) -> str:
    lines = [
        f"Command: `{COMMAND}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores).",
        "",
        "| window | exit | wall | requests | floor (requests / rate) | wall / floor | load before |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['window']} | {r['exit']} | {r['wall_s']:.0f} s | {r['requests']} | "
            f"{r['floor_s']:.0f} s | {r['ratio']} | {' '.join(map(str, r['load_before']))} |"
        )
    if selftest is not None:
        lines += [
            "",
            f"`make selftest` ({selftest['mode']}, load at start "
            f"{' '.join(selftest['load_at_start'])}):",
            "",
        ]
        lines += [
            f"- {p['name']}: {p['seconds']:.0f} s (exit {p['code']})" for p in selftest["phases"]
        ]
        lines.append(f"- total wall: {selftest['wall_seconds']:.0f} s")
    else:
        lines += [
            "",
            "`make selftest`: no reports/selftest-times.json (run `make selftest` first).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--windows", default="fixed,sliding", help="comma-separated: fixed, sliding"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", "").strip() or ROOT / "reports")
    out = reports / "bench-paced"
    runs = []
    for window in args.windows.split(","):
        print(f"paced gate, {window} window, RATE_LIMIT={RATE}: one to three minutes", flush=True)
        runs.append(paced_gate(window, out, args.timeout))
        print(json.dumps(runs[-1]), flush=True)
    selftest = selftest_times(reports)
    text = render(runs, selftest)
    (reports / "bench-paced.md").write_text(text, encoding="utf-8")
    (reports / "bench-paced.json").write_text(
        json.dumps({"runs": runs, "selftest": selftest}, indent=2), encoding="utf-8"
    )
    print(text)
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
