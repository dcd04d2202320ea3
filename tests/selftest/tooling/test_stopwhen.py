"""A defect's run in the mutation check stops once every rule of the defect has failed
(`tooling.mutation.StopWhenBroken`), with the verdict a full run gives; while one of them has not failed,
the run goes on to the end."""

from __future__ import annotations

from pathlib import Path

from conformance.reports.schema import load_checked
from tooling.mutation import Job, run_job

SEED = 20261126


def test_a_defect_run_stops_once_its_rules_failed_with_the_full_runs_verdict(
    tmp_path: Path,
) -> None:
    job = Job("defect", "name_trimmed", "uvicorn", ("semantic.echo",))
    stopped = run_job(job, tmp_path / "stopped", SEED)
    full = run_job(job, tmp_path / "full", SEED, full=True)
    log = (stopped.out / "pytest.log").read_text(encoding="utf-8")
    assert "every rule of the planted defect has failed" in log, log[-2000:]
    assert stopped.detection == full.detection == "own"
    assert stopped.exit_code == full.exit_code == 1
    assert 0 < stopped.requests < full.requests / 2, (stopped.requests, full.requests)
    assert set(stopped.failed_rules) <= set(full.failed_rules)


def test_a_run_goes_to_the_end_while_one_of_its_rules_has_not_failed(tmp_path: Path) -> None:
    # name_trimmed breaks semantic.echo, never auth.unauthorized: a stop after the first of the two
    # would be too early. The whole run is sent: every test the plan counted has a result.
    job = Job("defect", "name_trimmed", "stdlib", ("semantic.echo", "auth.unauthorized"))
    watched = run_job(job, tmp_path / "watched", SEED)
    assert watched.detection == "own" and "auth.unauthorized" not in watched.failed_rules
    log = (watched.out / "pytest.log").read_text(encoding="utf-8")
    assert "planted defect" not in log, log[-2000:]
    report = load_checked(watched.out / "conformance.json")
    assert report.requests.sent >= report.run.planned.requests > 100
