"""Run the conformance suite as a user would against a reference server we start.

Runs are the suite in this process (`tooling.runs.run_here`) against reference servers served
on threads of this process (`refserver.hosting.in_thread`): no interpreter starts for either.
`child=True` runs a fresh interpreter instead, where the process is the point of the test (a
wall that kills it, its peak memory)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conformance.reports.schema import load_checked
from harness.embedded import EmbeddedKeys
from refserver.app import RefApp
from refserver.config import ServerConfig
from refserver.hosting import in_thread
from refserver.seed import Settings as ServerKeys
from tooling.runs import SuiteRun, child_env, run_child, run_here
from tooling.targets import InProcessTarget

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "5b8f0e2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b"

__all__ = [
    "ROOT", "TEMPLATE", "SuiteRun", "every_key", "load_report", "reference_server", "run_suite"
]  # fmt: skip

# A report file as every reader reads it: checked against the kept schema, then typed.
load_report = load_checked


def every_key(url: str, keys: EmbeddedKeys) -> dict[str, str]:
    """A target at `url` with every key and the template given (the optional checks all on)."""
    return {
        "BASE_URL": url,
        "API_KEY": keys.api_key,
        "FORBIDDEN_API_KEY": keys.forbidden_api_key,
        "OTHER_API_KEY": keys.other_api_key,
        "TEMPLATE_ID": keys.template_id,
    }


@contextmanager
def reference_server(
    keys: EmbeddedKeys,
    defect: str | None = None,
    *,
    variant: str | None = "",
    stack: str = "uvicorn",
    rate_limit: int = 0,
    rate_window: float = 60.0,
    tls: tuple[str, str] | None = None,
) -> Iterator[str]:
    """The reference server with our keys and one planted defect or legal variant, on a thread
    of this process for the block; yields its base URL."""
    server_keys = ServerKeys(
        key=keys.api_key,
        forbidden_key=keys.forbidden_api_key,
        other_key=keys.other_api_key,
        template_id=keys.template_id,
    )
    config = ServerConfig(defect or "", variant or "", server_keys, rate_limit, rate_window)
    cert, key = tls or ("", "")
    with in_thread(RefApp(config), stack, certfile=cert, keyfile=key) as url:
        yield url


def run_suite(
    reports: Path,
    *args: str,
    child: bool = False,
    on_start: Callable[[int], None] | None = None,
    **env_vars: str,
) -> SuiteRun:
    """The suite with the given variables (BASE_URL, API_KEY, ...) and reports in `reports`;
    without BASE_URL, against the embedded target (REFSERVER_DEFECT, _VARIANT and _STACK say
    which). `child`: in a fresh interpreter, whose pid `on_start` is told."""
    env = child_env(**{"SEED": "7", "DERANDOMIZE": "1", **env_vars})
    args = (f"--html={reports / 'report.html'}", "--self-contained-html", *args)
    if child:
        return run_child(reports, *args, env=env, on_start=on_start)
    plugins = []
    if "BASE_URL" not in env:
        plugins.append(
            InProcessTarget(
                env.pop("REFSERVER_DEFECT", ""),
                env.pop("REFSERVER_VARIANT", ""),
                env.pop("REFSERVER_STACK", "") or "uvicorn",
            )
        )
    return run_here(reports, *args, env=env, plugins=plugins)


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
