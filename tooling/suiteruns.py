"""One run of the suite as a child process against the embedded reference server, clean, with
one legal variant or one planted defect, on one HTTP stack; read back from conformance.json."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from conformance.reports.model import Report
from conformance.run.settings import ROOT
from tooling.childenv import child_env

CLEAN = "(clean)"
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Job:
    kind: str  # clean / variant / defect
    name: str
    stack: str
    rules: tuple[str, ...]  # a defect's rules


@dataclass
class Result:
    job: Job
    exit_code: int
    out: Path
    failed_rules: list[str] = field(default_factory=list)
    all_rules: list[str] = field(default_factory=list)
    requests: int = 0
    campaigns: int = 0
    seconds: float = 0.0

    @property
    def detection(self) -> str:
        """own: one of the defect's rules failed; wrong: only other rules; missed: none."""
        if any(rule in self.job.rules for rule in self.failed_rules):
            return "own"
        return "wrong" if self.failed_rules else "missed"


def catalogue(flag: str) -> list[dict]:
    """The server's own lists, over its CLI: the suite never imports the server."""
    out = subprocess.run(
        [sys.executable, "-m", "refserver", flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def run_job(job: Job, reports: Path, seed: int, *args: str) -> Result:
    slug = "clean" if job.name == CLEAN else job.name
    out = reports / job.stack / slug
    out.mkdir(parents=True, exist_ok=True)
    # A planted defect's run is no run of a target: it stays out of any history.
    env = child_env(
        REPORTS_DIR=str(out), SEED=str(seed), DERANDOMIZE="1", PYTHONHASHSEED="0", HISTORY_DB="off"
    )
    env["REFSERVER_STACK"] = job.stack
    if job.kind == "defect":
        env["REFSERVER_DEFECT"] = job.name
    elif job.kind == "variant":
        env["REFSERVER_VARIANT"] = job.name
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/conformance",
        "-q",
        "-p",
        "no:cacheprovider",
        *args,
    ]
    started = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    (out / "pytest.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    result = Result(job, proc.returncode, out, seconds=round(time.monotonic() - started, 1))
    report = out / "conformance.json"
    if report.exists():
        data = Report.load(report)
        result.requests = data.requests.sent
        result.campaigns = data.requests.campaigns_created
        result.failed_rules = [r.rule for r in data.rules if r.failed]
        result.all_rules = [r.rule for r in data.rules]
    return result
