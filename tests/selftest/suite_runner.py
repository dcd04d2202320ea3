"""Run the conformance suite as a user would (a subprocess) against a reference server we start."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env

ROOT = Path(__file__).resolve().parents[2]
PLANNED = re.compile(r"^  total +(\d+) requests +(\d+) campaigns", re.M)
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"


@dataclass
class SuiteRun:
    code: int
    output: str
    reports: Path

    def conformance(self) -> dict[str, Any]:
        return json.loads((self.reports / "conformance.json").read_text(encoding="utf-8"))

    def planned(self) -> tuple[int, int]:
        """(requests, campaigns) the start line promised at most."""
        found = PLANNED.search(self.output)
        assert found, f"no planned cost in the output: {self.output[-2000:]}"
        return int(found[1]), int(found[2])


def reference_server(keys: EmbeddedKeys, defect: str | None = None) -> AbstractContextManager[str]:
    """The reference server as the suite starts it, with our keys and one planted defect."""
    return embedded_server(keys, defect=defect or "")


def run_suite(reports: Path, *args: str, **env_vars: str) -> SuiteRun:
    """The suite with the given variables (BASE_URL, API_KEY, ...) and reports in `reports`."""
    env = child_env(REPORTS_DIR=str(reports), SEED="7", DERANDOMIZE="1", **env_vars)
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
