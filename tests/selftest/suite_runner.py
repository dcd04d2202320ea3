"""Run the conformance suite as a user would (a subprocess) against a reference server we start."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from conformance.reports.model import Report
from conformance.reports.schema import SCHEMA_FILE
from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"


@dataclass
class SuiteRun:
    code: int
    output: str
    reports: Path

    def conformance(self) -> Report:
        """The run's conformance.json, validated against the report's JSON Schema, as the model."""
        return load_report(self.reports / "conformance.json")


def load_report(path: Path) -> Report:
    """A report file as every reader reads it: checked against the schema kept in the
    repository, then read into the typed model."""
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    return Report.from_dict(data)


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
