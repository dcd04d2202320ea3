"""scripts/ci-gate.sh, the one step of the GitHub action and the reusable workflow: the suite's
real exit status and verdict reach the step's outputs and its exit status, and the job summary
is written, for a conforming target (0), findings (1), transport faults (6), a budget that stops
checks (7), a setup stop (8) and rules off at a strict gate (10)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest.engine.hostile import servers
from tests.selftest.engine.hostile.wire import HostileServer
from tests.selftest.suite_runner import ROOT, TEMPLATE, reference_server
from tooling.runs import child_env

KEYS = EmbeddedKeys("cc_ci_main_7a8b9c", "cc_ci_ro_7a8b9c", "cc_ci_b_7a8b9c", TEMPLATE)
ALL_KEYS = {
    "API_KEY": KEYS.api_key,
    "FORBIDDEN_API_KEY": KEYS.forbidden_api_key,
    "OTHER_API_KEY": KEYS.other_api_key,
    "TEMPLATE_ID": TEMPLATE,
    "ALLOW_OFF": "rate.limit,rate.header,rate.per-key",
}


@contextmanager
def target(case: str) -> Iterator[dict[str, str]]:
    if case == "refused":
        yield {"BASE_URL": "http://127.0.0.1:9", **ALL_KEYS}
        return
    if case == "resets":
        with HostileServer(servers.reset_mid_body(), api_key=KEYS.api_key) as server:
            yield {"BASE_URL": server.url, "API_KEY": KEYS.api_key, "MAX_REQUESTS": "12"}
        return
    defect = "tags_nonempty" if case == "defect" else ""
    with reference_server(KEYS, defect) as url:
        env = {"BASE_URL": url, **ALL_KEYS}
        if case == "budget":
            env["MAX_REQUESTS"] = "12"
        if case == "off":
            env = {"BASE_URL": url, "API_KEY": KEYS.api_key}
        yield env


@pytest.mark.parametrize(
    ("case", "status", "word"),
    [
        ("clean", 0, "CONFORMING"),
        ("defect", 1, "FINDINGS"),
        ("resets", 6, "TRANSPORT FAULTS"),
        ("budget", 7, "NOT TESTED"),
        ("refused", 8, "SETUP ERROR"),
        ("off", 10, "RULES OFF"),
    ],
)
def test_the_step_outputs_the_suites_own_status_and_verdict(
    tmp_path: Path, case: str, status: int, word: str
) -> None:
    output, summary = tmp_path / "output", tmp_path / "summary"
    with target(case) as env:
        run = subprocess.run(
            [str(ROOT / "scripts" / "ci-gate.sh"), "gate"],
            env=child_env(
                REPORTS_DIR=str(tmp_path / "reports"),
                GITHUB_OUTPUT=str(output),
                GITHUB_STEP_SUMMARY=str(summary),
                HISTORY_DB="off",
                **env,
            ),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == status, run.stdout[-3000:] + run.stderr[-2000:]
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["status"] == str(status)
    assert outputs["verdict"].startswith(f"{word}: "), outputs
    assert summary.read_text().strip()
    assert f"{word}: " in run.stdout
