"""One run of the suite as a child process against the embedded reference server, clean, with
one legal variant or one planted defect, on one HTTP stack; read back from conformance.json."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.run.settings import ROOT
from tooling.childenv import child_env
from tooling.childrun import ForkServer, run_suite

CLEAN = "(clean)"
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Job:
    kind: str  # clean / variant / defect
    name: str
    stack: str
    rules: tuple[str, ...]  # a defect's rules
    depth: str = "gate"  # the suite's DEPTH that must catch a defect (the catalogue says)
    group: str = ""  # the catalogue's group ("conditional": combination, shape, every Nth)


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


def catalogue(flag: str) -> list[dict[str, Any]]:
    """The server's own lists, over its CLI: the suite never imports the server."""
    out = subprocess.run(
        [sys.executable, "-m", "refserver", flag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    listed: list[dict[str, Any]] = json.loads(out.stdout)
    return listed


# What every mutation run shares with the fork server: variables read at interpreter start.
SERVER_ENV = {"PYTHONHASHSEED": "0"}


def fork_server() -> ForkServer:
    """A fork server for the mutation check's runs (see tooling/forkserver.py)."""
    return ForkServer(child_env(**SERVER_ENV))


def run_job(
    job: Job,
    reports: Path,
    seed: int,
    *args: str,
    forks: ForkServer | None = None,
    full: bool = False,
) -> Result:
    """One run; a defect's run stops once all its rules have failed (`tooling/stopwhen.py`),
    unless `full`."""
    slug = "clean" if job.name == CLEAN else job.name
    out = reports / job.stack / slug
    # A planted defect's run is no run of a target: it stays out of any history.
    env = child_env(SEED=str(seed), DERANDOMIZE="1", HISTORY_DB="off", **SERVER_ENV)
    env["REFSERVER_STACK"] = job.stack
    env["DEPTH"] = job.depth
    if job.kind == "defect":
        env["REFSERVER_DEFECT"] = job.name
    elif job.kind == "variant":
        env["REFSERVER_VARIANT"] = job.name
    if job.kind == "defect" and not full:
        args = (*args, "-p", "tooling.stopwhen", f"--stop-when-broken={','.join(job.rules)}")
    child = run_suite(out, "-q", *args, env=env, forks=forks)
    (out / "pytest.log").write_text(child.output, encoding="utf-8")
    # A run that timed out counts as a failed run (exit 2, pytest's "interrupted").
    result = Result(job, 2 if child.code is None else child.code, out, seconds=child.seconds)
    report = child.report()
    if report is not None:
        result.requests = report.requests.sent
        result.campaigns = report.requests.campaigns_created
        result.failed_rules = [r.rule for r in report.rules if r.failed]
        result.all_rules = [r.rule for r in report.rules]
    return result
