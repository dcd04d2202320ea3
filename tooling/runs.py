"""Runs of the suite for the tooling and the selftests: in this process (`run_here`, the
default: no interpreter start, what the libraries build on first use built once per process),
or in a fresh interpreter (`run_child`) where the process is the point: a hard wall that kills
it, its peak memory, what it prints at start-up. Either way the run's report is read back
through the report model, checked against the report's JSON Schema."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.reports.model import Report
from conformance.reports.schema import load_checked
from conformance.settings import ROOT

SUITE_DIR = str(ROOT / "tests" / "conformance")
# Where the tests lie and how pytest is configured, named: a run may be asked from anywhere.
SUITE = (
    SUITE_DIR,
    "--rootdir",
    str(ROOT),
    "-c",
    str(ROOT / "pyproject.toml"),
    "-p",
    "no:cacheprovider",
)
RUN_TIMEOUT = 300.0
# Every variable the suite reads (see `Settings.from_env`), and RUN_ID: a run gets only its own.
SUITE_VARIABLES = frozenset(
    {"BASE_URL", "API_KEY", "TEMPLATE_ID", "FORBIDDEN_API_KEY", "OTHER_API_KEY", "RATE_LIMIT"}
    | {"RATE_WINDOW", "DEPTH", "MAX_BODY", "MAX_REQUESTS", "MAX_CAMPAIGNS", "MAX_TIME"}
    | {"REQUEST_TIMEOUT", "TRANSPORT_RETRIES", "SEED", "EXAMPLES", "DERANDOMIZE", "BASELINE"}
    | {"REPORTS_DIR", "RUN_ID", "HISTORY_DB", "HISTORY_KEEP", "ALLOW_OFF"}
)


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of a run: ours, less everything that configures the suite or the
    reference server, plus `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SUITE_VARIABLES and not k.startswith("REFSERVER_")
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # pytest's rewritten modules stay cached
    env.update(overrides)
    return env


@dataclass(frozen=True)
class SuiteRun:
    code: int | None  # None: a child that outlived its time-out and was stopped
    output: str
    reports: Path
    seconds: float
    peak_kb: int = 0  # a child's peak resident memory (0 for a run in this process)

    def report(self) -> Report | None:
        """The run's conformance.json, checked against the schema; None when none was written."""
        path = self.reports / "conformance.json"
        return load_checked(path) if path.exists() else None

    def conformance(self) -> Report:
        report = self.report()
        if report is None:
            raise FileNotFoundError(f"no conformance.json in {self.reports}: {self.output[-2000:]}")
        return report


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ is `env` for the block, then what it was."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# The libraries this process imported before a run could mark them for assertion rewriting
# warn once per run; their asserts are not the suite's.
QUIET_REWRITE = ("-W", "ignore::pytest.PytestAssertRewriteWarning")


def run_here(
    reports: Path, *args: str, env: Mapping[str, str], plugins: Sequence[object] = ()
) -> SuiteRun:
    """The suite in this process with `env` as its environment (REPORTS_DIR is `reports`) and
    `plugins` registered (an in-process target, a subscriber); its output kept, not printed.
    One run at a time per process: pytest's configuration is the process's while it runs."""
    reports.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    started = time.monotonic()
    with (
        environment({**env, "REPORTS_DIR": str(reports)}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        known = set(sys.modules)
        try:
            code = pytest.main([*SUITE, *QUIET_REWRITE, *args], plugins=list(plugins))
        finally:
            _forget_foreign_modules(known)
    return SuiteRun(int(code), out.getvalue(), reports, round(time.monotonic() - started, 2))


def _forget_foreign_modules(known: set[str]) -> None:
    """A run may collect test files from outside the tree (a selftest's injected one): they
    are dropped, so the next run collects its own file of the same name, as a fresh process
    would. The suite's own modules stay imported: that is what makes a run here cheap."""
    kept = [ROOT, Path(sys.prefix), Path(sys.base_prefix)]
    kept += [Path(p) for p in sysconfig.get_paths().values()]
    for name in set(sys.modules) - known:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if path and not any(Path(path).resolve().is_relative_to(k.resolve()) for k in kept):
            del sys.modules[name]


def run_child(
    reports: Path,
    *args: str,
    env: Mapping[str, str],
    timeout: float = RUN_TIMEOUT,
    on_start: Callable[[int], None] | None = None,
) -> SuiteRun:
    """The suite in a fresh interpreter, as a user runs it, in a session of its own (stopping
    it stops the servers it started), bounded in time; its peak memory from its exit."""
    reports.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", *SUITE, *args]
    code, output, peak = run_bounded(cmd, {**env, "REPORTS_DIR": str(reports)}, timeout, on_start)
    return SuiteRun(code, output, reports, round(time.monotonic() - started, 2), peak)


def run_bounded(
    cmd: list[str],
    env: Mapping[str, str],
    timeout: float,
    on_start: Callable[[int], None] | None = None,
) -> tuple[int | None, str, int]:
    """(exit code, None after the time-out; output; peak resident memory in KB) of a command."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        if on_start is not None:
            on_start(proc.pid)
        deadline = time.monotonic() + timeout
        code, peak = None, 0
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code, peak = os.waitstatus_to_exitcode(status), usage.ru_maxrss
                proc.returncode = code
                break
            time.sleep(0.02)
        stop_group(proc)
        log.seek(0)
        return code, log.read().decode("utf-8", "replace"), peak


def stop_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """End a child's session: the child (when still running) and what it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        if proc.returncode is not None:
            return  # the leader is reaped: its group got the signal, nothing to wait for
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
