"""The plan bounds the run whatever the target does. On the embedded target (its rate-limited
sibling's burst included) the run sends no more than the start line's plan. Against planted
defects whose findings cost extra requests (re-runs of failing cases, a failing property phase's
replay, negative cases the target wrongly creates), the gate with every optional input but the
rate limit sends no more than its plan's "at most", which stays within the gate's 150, and
creates at most 30 campaigns. The outside target is compared in test_outside."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest.suite_runner import TEMPLATE, make_plan, reference_server, run_suite

KEYS = EmbeddedKeys("cc_bound_a1b2c3d4e5", "cc_bound_ro_a1b2c3", "cc_bound_b_a1b2c3", TEMPLATE)
GATE_REQUESTS, GATE_CAMPAIGNS = 150, 30

DEFECTS = [
    "created_returns_200",  # every creating case fails: re-runs, positive phases replayed
    "name_empty_accepted",  # a negative case creates a campaign: the budget counts it
    "auth_ignored",  # every auth case fails, and keyless requests create campaigns
    "stack_trace_500",  # 5xx for the property tests (both modes) and the matrix
    "validation_errors_empty",  # every 422 of the matrix fails its error-path check
    "no_campaign_wrapper",  # every 201 lacks the wrapper: still counted against the budget
]


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_defective_target_stays_within_the_plan(defect: str, tmp_path: Path) -> None:
    with reference_server(KEYS, defect=defect) as url:
        run = run_suite(
            tmp_path,
            BASE_URL=url,
            API_KEY=KEYS.api_key,
            FORBIDDEN_API_KEY=KEYS.forbidden_api_key,
            OTHER_API_KEY=KEYS.other_api_key,
            TEMPLATE_ID=KEYS.template_id,
            SEED="20261126",
        )
    assert run.code == 1, run.output[-3000:]
    report = run.conformance()
    bound = report.run.budget.planned_at_most
    assert bound is not None and bound <= GATE_REQUESTS
    assert f"at most {bound} in all" in run.output
    assert report.requests.sent <= bound, (report.requests.sent, bound)
    assert report.requests.campaigns_created <= GATE_CAMPAIGNS
    # Every success the target gave may have made a campaign (a 200, an unwrapped body): the
    # budget and created.json count each one.
    har = json.loads((tmp_path / "exchanges.har").read_text(encoding="utf-8"))
    successes = sum(200 <= e["response"]["status"] < 300 for e in har["log"]["entries"])
    created = json.loads((tmp_path / "created.json").read_text(encoding="utf-8"))
    assert len(created["campaigns"]) == successes
    assert all(c["id"] for c in created["campaigns"])  # the clean-up list names each one
    assert report.requests.campaigns_created == successes + len(created["maybe_created"])


def test_embedded_run_stays_within_its_plan(tmp_path: Path) -> None:
    run = run_suite(tmp_path)
    assert run.code == 0, run.output[-3000:]
    planned = run.conformance().run.planned
    # `make plan` without BASE_URL plans that same run (its sibling's burst included).
    plan = make_plan(BASE_URL="", API_KEY="")
    total = re.search(r"total\s+(\d+) requests\s+(\d+) campaigns", plan)
    assert total is not None, plan[-2000:]
    assert (int(total[1]), int(total[2])) == (planned.requests, planned.campaigns)
    report = run.conformance().requests
    assert report.sent <= planned.requests, (report.sent, planned.requests)
    assert report.campaigns_created <= planned.campaigns


def test_a_finding_on_the_last_campaign_stays_a_finding(tmp_path: Path) -> None:
    """The 20th campaign is a positive case the target gets wrong, near the end of the budget
    (what is left is the re-runs' reserve); Hypothesis sends it again to report it: the finding
    stands (exit 1), never "not tested", and the run stays within MAX_CAMPAIGNS."""
    with reference_server(KEYS, defect="status_wrong_every_20th") as url:
        run = run_suite(
            tmp_path,
            "-k",
            "accept or json_media_types or past_32 or contract",
            BASE_URL=url,
            API_KEY=KEYS.api_key,
            MAX_CAMPAIGNS="23",  # 20 and the 3 the re-runs keep
            SEED="0",  # the seed whose 20th campaign is a positive property case
        )
    report = run.conformance()
    assert run.code == 1, run.output[-3000:]
    assert [r.rule for r in report.rules if r.verdict == "failed"] == ["semantic.draft"]
    assert report.requests.campaigns_created <= 23
