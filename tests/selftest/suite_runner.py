"""Run the conformance suite as a user would (a subprocess) against a reference server we start."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"


@dataclass
class SuiteRun:
    code: int
    output: str
    reports: Path

    def conformance(self) -> dict[str, Any]:
        return json.loads((self.reports / "conformance.json").read_text(encoding="utf-8"))


@contextlib.contextmanager
def reference_server(
    keys: dict[str, str], defect: str | None = None, rate_limit: int = 0
) -> Iterator[str]:
    """`python -m refserver` on a free loopback port; stopped by the PID we started."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSERVER_")}
    env.update(keys, REFSERVER_RATE_LIMIT=str(rate_limit))
    if defect:
        env["REFSERVER_DEFECT"] = defect
    cmd = [sys.executable, "-m", "refserver", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_suite(reports: Path, *args: str, **env_vars: str) -> SuiteRun:
    """The suite with the given variables (BASE_URL, API_KEY, ...) and reports in `reports`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSERVER_")}
    for name in (
        "BASE_URL",
        "API_KEY",
        "TEMPLATE_ID",
        "FORBIDDEN_API_KEY",
        "OTHER_API_KEY",
        "RATE_LIMIT",
    ):
        env.pop(name, None)
    env.update(REPORTS_DIR=str(reports), SEED="7", DERANDOMIZE="1", **env_vars)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/conformance",
        "-p",
        "no:cacheprovider",
        f"--junitxml={reports / 'junit.xml'}",
        f"--html={reports / 'report.html'}",
        "--self-contained-html",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr, reports)
