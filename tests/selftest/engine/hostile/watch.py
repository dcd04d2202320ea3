"""Running the suite against a hostile target: a hard wall on its time, its peak memory, and
a search of everything it wrote for any form of a key."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.selftest.suite_runner import run_suite


@dataclass
class Watched:
    code: int
    output: str
    reports: Path
    wall: float
    # Peak resident memory of the suite process in KB (0 when it could not be measured).
    peak_kb: int
    # True when the suite outlived its wall and we killed it.
    killed: bool

    def summary(self) -> str:
        return (
            f"exit {self.code}, {self.wall:.1f}s, peak {self.peak_kb // 1024} MB"
            f"{', KILLED at the wall' if self.killed else ''}\n{self.output[-3000:]}"
        )

    def report_files(self) -> list[Path]:
        return sorted(p for p in self.reports.rglob("*") if p.is_file())


def _vm_hwm(pid: int) -> int:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/status").read_text()
        if match := re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE):
            return int(match.group(1))
    return 0


def run_watched(reports: Path, wall: float, *args: str, **env: str) -> Watched:
    """`run_suite`, with a watcher that samples the run's VmHWM and kills it (that one pid,
    which we asked for) if it is still running `wall` seconds in: the test then fails instead
    of hanging until run_suite's own 300 s time-out. The run is a fresh interpreter (its peak memory
    is its exact count at exit, from wait4; the samples cover a run that was killed)."""
    done = threading.Event()
    started_pid: list[int] = []
    state = {"peak": 0, "killed": False}
    started = time.monotonic()

    def watch() -> None:
        while not done.wait(0.05):
            if not started_pid:
                continue
            child = started_pid[0]
            state["peak"] = max(state["peak"], _vm_hwm(child))
            if time.monotonic() - started > wall and not state["killed"]:
                state["killed"] = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = run_suite(reports, *args, child=True, on_start=started_pid.append, **env)
    finally:
        done.set()
        watcher.join(timeout=5)
    elapsed = time.monotonic() - started
    peak = max(state["peak"], run.peak_kb)
    return Watched(run.code, run.output, run.reports, elapsed, peak, bool(state["killed"]))


def key_forms(key: str) -> dict[str, str]:
    """Every spelling of `key` a leak could take."""
    raw = key.encode()
    b64 = base64.b64encode(raw).decode()
    b64url = base64.urlsafe_b64encode(raw).decode()
    bare = key.removeprefix("cc_")
    return {
        "as sent": key,
        "upper-case": key.upper(),
        "lower-case": key.lower(),
        "without cc_": bare,
        "without cc_, upper-case": bare.upper(),
        "url-encoded": quote(key, safe=""),
        "url-encoded, upper-case": quote(key.upper(), safe=""),
        "base64": b64,
        "base64 unpadded": b64.rstrip("="),
        "base64url": b64url,
        "base64url unpadded": b64url.rstrip("="),
    }


def leaks(text: str, keys: list[str]) -> list[str]:
    """The forms of `keys` found in `text`, each named (`key #1 base64`), for the message."""
    found = []
    for number, key in enumerate(keys, 1):
        for name, form in key_forms(key).items():
            if form and form in text:
                found.append(f"key #{number} {name} ({form[:12]}...)")
    return found


def leaks_anywhere(run: Watched, keys: list[str]) -> list[str]:
    """Leaks in the terminal output and in every file the run wrote under its reports dir."""
    found = [f"output: {leak}" for leak in leaks(run.output, keys)]
    for path in run.report_files():
        text = path.read_bytes().decode("utf-8", "replace")
        found += [f"{path.name}: {leak}" for leak in leaks(text, keys)]
    return found
