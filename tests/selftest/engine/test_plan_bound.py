"""The planned cost on the start line is an upper bound of what the run sends: on the embedded
target (its rate-limited sibling's burst included). The outside target, with every optional
input given (the vetting included), is compared in test_outside."""

from __future__ import annotations

from pathlib import Path

from tests.selftest.suite_runner import run_suite


def test_embedded_run_stays_within_its_plan(tmp_path: Path) -> None:
    run = run_suite(tmp_path)
    assert run.code == 0, run.output[-3000:]
    planned = run.conformance().run.planned
    planned_requests, planned_campaigns = planned.requests, planned.campaigns
    report = run.conformance().requests
    assert report.sent <= planned_requests, (report.sent, planned_requests)
    assert report.campaigns_created <= planned_campaigns
