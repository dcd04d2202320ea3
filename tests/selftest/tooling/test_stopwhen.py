"""A defect's run in the mutation check stops once every rule of the defect has failed
(`tooling/stopwhen.py`), with the verdict a full run gives; a run whose rules never fail (a
conforming server) goes on to the end."""

from __future__ import annotations

from pathlib import Path

from conformance.reports.schema import load_checked
from tests.selftest.suite_runner import fork_server
from tooling.suiteruns import CLEAN, Job, run_job

SEED = 20261126


def test_a_defect_run_stops_once_its_rules_failed_with_the_full_runs_verdict(
    tmp_path: Path,
) -> None:
    job = Job("defect", "name_trimmed", "uvicorn", ("semantic.echo",))
    stopped = run_job(job, tmp_path / "stopped", SEED, forks=fork_server())
    full = run_job(job, tmp_path / "full", SEED, forks=fork_server(), full=True)
    log = (stopped.out / "pytest.log").read_text(encoding="utf-8")
    assert "every rule of the planted defect has failed" in log, log[-2000:]
    assert stopped.detection == full.detection == "own"
    assert stopped.exit_code == full.exit_code == 1
    assert 0 < stopped.requests < full.requests / 2, (stopped.requests, full.requests)
    assert set(stopped.failed_rules) <= set(full.failed_rules)


def test_a_run_whose_rules_never_fail_goes_to_the_end(tmp_path: Path) -> None:
    # The clean server, told to stop when a rule it never breaks has failed: a whole run, every
    # request its plan counted sent (the plan is exact on the clean server).
    job = Job("clean", CLEAN, "stdlib", ())
    watched = run_job(
        job,
        tmp_path / "watched",
        SEED,
        "-p",
        "tooling.stopwhen",
        "--stop-when-broken=semantic.echo",
        forks=fork_server(),
    )
    assert watched.exit_code == 0 and watched.failed_rules == []
    report = load_checked(watched.out / "conformance.json")
    assert report.requests.sent == report.run.planned.requests > 100
    assert "planted defect" not in (watched.out / "pytest.log").read_text(encoding="utf-8")
