"""Run the conformance suite as a user would (a child run) against a reference server we start.

The runs are forked from one fork server for the whole selftest session (the same report as a
fresh interpreter, `tests/selftest/tooling/test_forkserver.py`), less the start-up of each;
`fork=False` starts a fresh interpreter."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from conformance.reports.schema import load_checked
from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env
from tooling.childrun import ChildRun, ForkServer
from tooling.childrun import run_suite as run_suite_child

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"


SuiteRun = ChildRun
# A report file as every reader reads it: checked against the kept schema, then typed.
load_report = load_checked


def reference_server(keys: EmbeddedKeys, defect: str | None = None) -> AbstractContextManager[str]:
    """The reference server as the suite starts it, with our keys and one planted defect."""
    return embedded_server(keys, defect=defect or "")


# The session's fork server, started at the first run and closed at exit.
_FORKS: list[ForkServer] = []


def fork_server() -> ForkServer:
    if not _FORKS:
        server = ForkServer(child_env())
        atexit.register(server.close)
        _FORKS.append(server)
    return _FORKS[0]


def run_suite(
    reports: Path,
    *args: str,
    fork: bool = True,
    on_start: Callable[[int], None] | None = None,
    **env_vars: str,
) -> ChildRun:
    """The suite with the given variables (BASE_URL, API_KEY, ...) and reports in `reports`;
    `on_start` is told the run's pid."""
    env = child_env(**{"SEED": "7", "DERANDOMIZE": "1", **env_vars})
    html = (f"--junitxml={reports / 'junit.xml'}", f"--html={reports / 'report.html'}")
    forks = fork_server() if fork else None
    return run_suite_child(
        reports, *html, "--self-contained-html", *args, env=env, forks=forks, on_start=on_start
    )


def make_plan(**env_vars: str) -> str:
    """What `make plan` prints with these variables (others as this process has them; an empty
    value unsets one)."""
    env = {**os.environ, **env_vars}
    env = {k: v for k, v in env.items() if v != ""}
    return subprocess.run(
        [sys.executable, "-m", "tooling.plan"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
