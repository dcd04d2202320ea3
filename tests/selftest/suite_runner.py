"""Run the conformance suite as a user would (a subprocess) against a reference server we start."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from conformance.reports.schema import load_checked
from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env
from tooling.childrun import ChildRun
from tooling.childrun import run_suite as run_suite_child

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"


SuiteRun = ChildRun
# A report file as every reader reads it: checked against the kept schema, then typed.
load_report = load_checked


def reference_server(keys: EmbeddedKeys, defect: str | None = None) -> AbstractContextManager[str]:
    """The reference server as the suite starts it, with our keys and one planted defect."""
    return embedded_server(keys, defect=defect or "")


def run_suite(reports: Path, *args: str, **env_vars: str) -> ChildRun:
    """The suite with the given variables (BASE_URL, API_KEY, ...) and reports in `reports`."""
    env = child_env(**{"SEED": "7", "DERANDOMIZE": "1", **env_vars})
    html = (f"--junitxml={reports / 'junit.xml'}", f"--html={reports / 'report.html'}")
    return run_suite_child(reports, *html, "--self-contained-html", *args, env=env)
