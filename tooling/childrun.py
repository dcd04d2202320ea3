"""One runner for every child run of the suite: the mutation check, the bench and the
selftests start `python -m pytest tests/conformance` through `run_suite`, in a process group of
its own (stopping it stops the servers it started), bounded in time, and read its report back
through the report model, checked against the report's JSON Schema.

A run is a fresh interpreter (`python -m pytest ...`), or, given a `ForkServer`, a child
forked from a process that imported pytest, Schemathesis and the engine once
(`tooling/forkserver.py`): the same arguments, environment, session and time-out, without the
start-up (a selftest holds the two to the same report)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from conformance.reports.model import Report
from conformance.reports.schema import load_checked
from conformance.run.settings import ROOT
from tooling.forkserver import WARM_UP_VARIABLE
from tooling.serverlauncher import ServerLauncher

SUITE = ("-m", "pytest", "tests/conformance", "-p", "no:cacheprovider")
RUN_TIMEOUT = 300.0
# The fork server's preload and warm-up (a few seconds; minutes on a machine under load).
READY_TIMEOUT = 300.0

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
    # The run's peak resident memory in KB, from the fork server (0 for a fresh interpreter).
    peak_kb: int = 0

    def report(self) -> Report | None:
        """The run's conformance.json, checked against the schema; None when none was written."""
        path = self.reports / "conformance.json"
        return load_checked(path) if path.exists() else None

    def conformance(self) -> Report:
        report = self.report()
        if report is None:
            raise FileNotFoundError(f"no conformance.json in {self.reports}: {self.output[-2000:]}")
        return report


class ForkServer:
    """The client of one `tooling.forkserver` process: `run` forks a child there and waits for
    its exit, bounded in time; safe to call from several threads at once. Environment variables
    read only at interpreter start (`START_VARIABLES`) are the server's: a run that asks for
    another value is not sent here (`serves`). The reference servers its runs start are forked
    too, by a launcher of their own (`tooling/serverlauncher.py`)."""

    def __init__(self, env: Mapping[str, str], *, warm_up: bool = True) -> None:
        """`warm_up`: run the suite once in the server before forking (worth it for many runs
        of the suite, not for a few of something else)."""
        self.env = dict(env)
        self.launcher = ServerLauncher(self.env)
        try:
            self._proc = self._start(warm_up)
        except BaseException:
            self.launcher.close()
            raise
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._events: dict[int, dict[str, int]] = {}
        self._children: set[int] = set()  # the runs' process groups still going
        self._waiting: set[int] = set()  # the run ids a caller still waits for
        self._changed = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _start(self, warm_up: bool) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "tooling.forkserver"],
            cwd=ROOT,
            env={**self.env, **self.launcher.env(), WARM_UP_VARIABLE: "1" if warm_up else "0"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def serves(self, env: Mapping[str, str]) -> bool:
        return self._proc.poll() is None and all(
            env.get(name) == self.env.get(name) for name in START_VARIABLES
        )

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            event = json.loads(line)
            with self._changed:
                if "pid" in event and event["id"] not in self._waiting:
                    # A run its caller gave up on before it started: nobody will wait for it.
                    with suppress(ProcessLookupError, PermissionError):
                        os.killpg(event["pid"], signal.SIGKILL)
                    continue
                self._events.setdefault(event["id"], {}).update(event)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _wait_for(self, run_id: int, key: str, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while key not in self._events.get(run_id, {}):
                left = deadline - time.monotonic()
                if left <= 0 or (self._proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._changed.wait(min(left, 1.0))
            return self._events[run_id][key]

    def run(
        self,
        args: list[str],
        env: Mapping[str, str],
        timeout: float,
        on_start: Callable[[int], None] | None = None,
    ) -> tuple[int | None, str]:
        """Exit code (None after a time-out, when the child's group is stopped) and output."""
        code, out, _ = self.run_measured(args, env, timeout, on_start)
        return code, out

    def run_measured(
        self,
        args: list[str],
        env: Mapping[str, str],
        timeout: float,
        on_start: Callable[[int], None] | None = None,
    ) -> tuple[int | None, str, int]:
        """As `run`, with the child's peak resident memory in KB (0 if it did not exit)."""
        run_id = next(self._ids)
        fd, name = tempfile.mkstemp(prefix="suite-run-", suffix=".log")
        os.close(fd)
        run_env = {**env, **self.launcher.env()}
        request = {"id": run_id, "args": args, "env": run_env, "cwd": str(ROOT), "out": name}
        pid: int | None = None
        # The server preloads and warms up before it forks anything: that is not the run's time.
        if self._wait_for(0, "ready", READY_TIMEOUT) is None:
            return None, "the fork server did not get ready", 0
        try:
            with self._lock:
                self._waiting.add(run_id)
                assert self._proc.stdin is not None
                self._proc.stdin.write((json.dumps(request) + "\n").encode())
                self._proc.stdin.flush()
            pid = self._wait_for(run_id, "pid", 30.0)
            if pid is None:
                return None, "the fork server did not start the run", 0
            with self._lock:
                self._children.add(pid)
            if on_start is not None:
                on_start(pid)
            code = self._wait_for(run_id, "code", timeout)
            if code is None:
                self._stop_group(pid, run_id)
            else:
                # The leader gone, what it started may linger (as in `stop`).
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGTERM)
            # Its exit event carried its peak memory.
            peak = (self._wait_for(run_id, "peak_kb", 0.0) or 0) if code is not None else 0
            return code, Path(name).read_text(encoding="utf-8", errors="replace"), peak
        finally:
            with suppress(OSError):
                os.unlink(name)
            with self._lock:
                self._waiting.discard(run_id)
                self._events.pop(run_id, None)
                if pid is not None:
                    self._children.discard(pid)

    def _stop_group(self, pid: int, run_id: int, grace: float = 5.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            if self._wait_for(run_id, "code", grace) is not None:
                return

    def close(self) -> None:
        """End the server; a run still going (the caller was interrupted) is stopped with the
        servers it started, so nothing outlives the check."""
        with self._lock:
            going = list(self._children)
        for pid in going:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
        if self._proc.stdin is not None:
            with suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stop(self._proc)
        self.launcher.close()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# The libraries the server imported before pytest could mark them for assertion rewriting
# (Schemathesis and Hypothesis register as plugins): pytest warns, once per library, on every
# forked run. Their asserts are not the suite's; the warning is the only difference.
FORKED = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
# Read by the interpreter at start, so a forked run has the server's values.
START_VARIABLES = ("PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONSAFEPATH")


def run_suite(
    reports: Path,
    *args: str,
    env: Mapping[str, str],
    timeout: float = RUN_TIMEOUT,
    on_start: Callable[[int], None] | None = None,
    forks: ForkServer | None = None,
) -> ChildRun:
    """The suite as a user runs it, with `env` (REPORTS_DIR is set to `reports`); forked from
    `forks` when given and it can serve this environment, else a fresh interpreter."""
    reports.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run_env = {**env, "REPORTS_DIR": str(reports)}
    if forks is not None and forks.serves(run_env):
        code, out, peak = forks.run_measured(
            [*SUITE[2:], *FORKED, *args], run_env, timeout, on_start
        )
    else:
        peak = 0
        code, out = run_bounded([sys.executable, *SUITE, *args], run_env, timeout, on_start)
    return ChildRun(code, out, reports, round(time.monotonic() - started, 2), peak)
