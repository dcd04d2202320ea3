"""`make selftest`: the project's own tests and the mutation check, with the wall time of each
phase printed at the end (and kept in reports/selftest-times.json for `make bench`).

By default the two phases overlap: the selftests spend much of their time waiting (the hostile
targets' walls, rate-limit windows, servers starting), which the mutation check's runs fill;
the selftests themselves run in pytest-xdist workers (`--workers`, 3), which steal work from
each other so the long waits do not queue behind one another.
`--serial` runs them one after the other. Both always run in full; the exit status is 0 only
when both pass.

Usage: python -m tooling.selftest [--serial] [--jobs N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.settings import ROOT


@dataclass
class Phase:
    name: str
    command: list[str]
    code: int | None = None
    seconds: float = 0.0


def run(phase: Phase, log: Path | None) -> None:
    """One phase as a child process; its output to the terminal, or to `log` when it runs
    beside the other (so the two do not interleave), printed when it ends."""
    started = time.monotonic()
    if log is None:
        phase.code = subprocess.call(phase.command, cwd=ROOT)
    else:
        with log.open("wb") as out:
            phase.code = subprocess.call(
                phase.command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
    phase.seconds = round(time.monotonic() - started, 1)


def progress(log: Path) -> str:
    """The last progress mark a phase's log holds: pytest's "[ 61%]", the mutation check's
    "[182/288]"; empty before the first."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    marks = re.findall(r"\[\s*(\d+%|\d+/\d+)\]", text)
    return marks[-1] if marks else ""


def overlap(phases: list[Phase], logs: list[Path], every: float = 30.0) -> None:
    """Both phases at once, each to its log; a line of progress every `every` seconds (a long
    silent run looks hung), then each log in full when both have ended."""
    threads = [
        threading.Thread(target=run, args=(phase, log))
        for phase, log in zip(phases, logs, strict=True)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        deadline = time.monotonic() + every
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            marks = ", ".join(
                f"{phase.name} {progress(log) or 'starting'}"
                if phase.code is None
                else f"{phase.name} done (exit {phase.code})"
                for phase, log in zip(phases, logs, strict=True)
            )
            print(f"  {time.monotonic() - started:4.0f} s: {marks}", flush=True)
    for phase, log in zip(phases, logs, strict=True):
        print(f"\n===== {phase.name} ({log}) =====")
        print(log.read_text(encoding="utf-8", errors="replace"), end="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serial", action="store_true", help="one phase after the other")
    parser.add_argument("--jobs", type=int, default=2, help="the mutation check's parallel runs")
    parser.add_argument(
        "--workers",
        type=int,
        default=3,
        help="the selftests' pytest-xdist workers (0: in this one process); three measured "
        "best beside the mutation check's two runs on two cores (four: more CPU lost to "
        "contention than waiting saved)",
    )
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", ROOT / "reports"))
    reports.mkdir(parents=True, exist_ok=True)
    phases = [
        Phase(
            "selftests",
            [sys.executable, "-m", "pytest", "tests/selftest", "--durations=20"]
            + (["-n", str(args.workers), "--dist", "worksteal"] if args.workers else []),
        ),
        Phase(
            "mutation check", [sys.executable, "-m", "tooling.mutation", "--jobs", str(args.jobs)]
        ),
    ]
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    started = time.monotonic()
    if args.serial:
        for phase in phases:
            run(phase, None)
    else:
        print("selftests and mutation check side by side; their output follows when both end")
        overlap(phases, [reports / "selftest-pytest.log", reports / "selftest-mutation.log"])
    wall = round(time.monotonic() - started, 1)
    mode = "one after the other" if args.serial else "overlapped"
    print(f"\nselftest phases ({mode}; load average at start {' '.join(load) or 'unknown'}):")
    for phase in phases:
        print(f"  {phase.name:<16} {phase.seconds:>7.1f} s  exit {phase.code}")
    print(f"  {'total wall':<16} {wall:>7.1f} s")
    record = {
        "mode": mode,
        "load_at_start": load,
        "phases": [asdict(p) | {"command": " ".join(p.command[1:])} for p in phases],
        "wall_seconds": wall,
    }
    (reports / "selftest-times.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return 0 if all(p.code == 0 for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
