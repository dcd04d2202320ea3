"""One runner for every child run of the suite: the mutation check, the bench and the
selftests start `python -m pytest tests/conformance` through `run_suite`, in a process group of
its own (stopping it stops the servers it started), bounded in time, and read its report back
through the report model, checked against the report's JSON Schema."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from conformance.reports.model import Report
from conformance.reports.schema import load_checked
from conformance.run.settings import ROOT

SUITE = ("-m", "pytest", "tests/conformance", "-p", "no:cacheprovider")
RUN_TIMEOUT = 300.0

# Every child started here, by PID, so an interrupted tool can end them (and only them).
_live: dict[int, subprocess.Popen[bytes]] = {}
_live_lock = threading.Lock()


def spawn(cmd: list[str], env: Mapping[str, str], *, capture: bool) -> subprocess.Popen[bytes]:
    # A session of its own: stopping the child also stops what it started (the gate's servers).
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    with _live_lock:
        _live[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    # The leader gone, what it started may linger (a gate killed hard leaves its servers).
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with _live_lock:
        _live.pop(proc.pid, None)


def stop_all() -> None:
    with _live_lock:
        procs = list(_live.values())
    for proc in procs:
        stop(proc, grace=2.0)


def run_bounded(
    cmd: list[str],
    env: Mapping[str, str],
    timeout: float,
    on_start: Callable[[int], None] | None = None,
) -> tuple[int | None, str]:
    """Exit code (None after a time-out, when the child and its group are stopped) and output."""
    proc = spawn(cmd, env, capture=True)
    if on_start is not None:
        on_start(proc.pid)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, ""
    finally:
        stop(proc)


@dataclass(frozen=True)
class ChildRun:
    code: int | None  # None: timed out, the child and its group stopped
    output: str
    reports: Path
    seconds: float

    def report(self) -> Report | None:
        """The run's conformance.json, checked against the schema; None when none was written."""
        path = self.reports / "conformance.json"
        return load_checked(path) if path.exists() else None

    def conformance(self) -> Report:
        report = self.report()
        if report is None:
            raise FileNotFoundError(f"no conformance.json in {self.reports}: {self.output[-2000:]}")
        return report


def run_suite(
    reports: Path,
    *args: str,
    env: Mapping[str, str],
    timeout: float = RUN_TIMEOUT,
    on_start: Callable[[int], None] | None = None,
) -> ChildRun:
    """The suite as a user runs it, with `env` (REPORTS_DIR is set to `reports`)."""
    reports.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    code, out = run_bounded(
        [sys.executable, *SUITE, *args],
        {**env, "REPORTS_DIR": str(reports)},
        timeout,
        on_start,
    )
    return ChildRun(code, out, reports, round(time.monotonic() - started, 2))
