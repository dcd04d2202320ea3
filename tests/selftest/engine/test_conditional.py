"""Covering arrays, value shapes and the repeat labels: the pieces behind the conditional checks."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable

import pytest

from conformance.checks.contexts import (
    GATE_FACTORS,
    NIGHTLY_FACTORS,
    OTHER,
    PREFLIGHT_ROW,
    contexts,
    tenancy_allows,
)
from conformance.checks.repeat import Allowance, judge_repeatedly, planned_runs
from conformance.contract.covering import covering_array, uncovered_tuples
from conformance.contract.shapes import SHAPES, Shape, shaped
from conformance.findings import CampaignBudgetSpent, ConformanceFailure, Finding, NotTested
from conformance.run.cost import RERUN_CAMPAIGNS, RERUN_REQUESTS


@pytest.mark.parametrize("strength", [2, 3])
def test_covering_array_covers_every_tuple_with_fewer_rows_than_the_product(strength: int) -> None:
    factors = {"a": [0, 1, 2], "b": [0, 1], "c": [0, 1], "d": [0, 1, 2], "e": [0, 1]}
    rows = covering_array(factors, strength)
    assert uncovered_tuples(rows, factors, strength) == []
    assert len(rows) < len(list(itertools.product(*factors.values())))
    assert rows == covering_array(factors, strength)  # deterministic: the gate sends the same


def test_covering_array_keeps_seeds_and_never_builds_a_forbidden_row() -> None:
    rows = covering_array(GATE_FACTORS, 2, seeds=[PREFLIGHT_ROW], allowed=tenancy_allows)
    assert rows[0] == PREFLIGHT_ROW
    assert all(tenancy_allows(r) for r in rows)
    assert uncovered_tuples(rows, GATE_FACTORS, 2, tenancy_allows) == []
    assert not any(r["template"] and r["key"] == OTHER for r in rows)


def test_gate_contexts_are_pairwise_and_the_nightly_walks_more() -> None:
    gate, nightly = contexts("gate"), contexts("nightly")
    assert len(gate) <= 6 < len(nightly) <= 10  # each row is a campaign: the budget is 50
    rows = [c.row for c in nightly]
    assert uncovered_tuples(rows, NIGHTLY_FACTORS, 2, tenancy_allows) == []
    assert len({c.id for c in gate}) == len(gate)


@pytest.mark.parametrize("n", [1, 2, 3, 255, 256])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.key)
def test_shapes_have_the_exact_length_in_code_points(shape: Shape, n: int) -> None:
    assert len(shaped(shape.key, "cct-run-x", n)) == n


def test_shapes_are_what_they_say() -> None:
    at = {s.key: shaped(s.key, "cct-run-x", 255) for s in SHAPES}
    assert "  " in at["inner-spaces"].strip() and at["inner-spaces"] == at["inner-spaces"].strip()
    assert at["leading-spaces"].startswith("   ") and at["trailing-spaces"].endswith("   ")
    for key, width in (("utf8-2byte", 2), ("utf8-3byte", 3), ("utf8-4byte", 4)):
        assert {len(c.encode()) for c in at[key][len("cct-run-x") :]} == {width}
    assert unicodedata.normalize("NFC", at["combining"]) != at["combining"]


def _flaky(outcomes: list[bool]) -> Callable[[], str]:
    """An attempt that fails (ConformanceFailure) where `outcomes` says False, in turn."""
    calls = iter(outcomes)

    def attempt() -> str:
        if next(calls):
            return "ok"
        raise ConformanceFailure([Finding("semantic.draft", ("status is 'active'",))])

    return attempt


def allow() -> Allowance:
    return Allowance(RERUN_REQUESTS, RERUN_CAMPAIGNS)


def test_a_rerun_is_taken_only_while_the_allowance_has_its_cost() -> None:
    allowance = Allowance(requests=3, campaigns=1)
    broken = ConformanceFailure([Finding("semantic.echo", ("x",))])
    other = ConformanceFailure([Finding("semantic.draft", ("x",))])
    assert allowance.take(broken, "t1", 2, 1)
    assert not allowance.take(other, "t2", 1, 1)  # no campaign left for it
    assert allowance.take(other, "t2", 1, 0)
    assert allowance.taken == {"t1": (2, 1), "t2": (1, 0)}


@pytest.mark.parametrize(
    ("depth", "outcomes", "label"),
    [
        ("gate", [False, False], "reproduced (2 of 2)"),
        ("gate", [False, True], "intermittent (1 of 2)"),
        ("nightly", [True, False, True, True], "intermittent (1 of 4)"),
    ],
)
def test_a_failing_case_is_rerun_and_labelled(depth: str, outcomes: list[bool], label: str) -> None:
    case = next(c for c in (f"case-{i}" for i in range(50)) if planned_runs(c, "nightly") == 4)
    with pytest.raises(ConformanceFailure) as info:
        judge_repeatedly(_flaky(outcomes), case, depth, allow(), "t")
    assert [f.repeat for f in info.value.findings] == [label]
    assert label in info.value.render()


def test_a_passing_case_at_the_gate_is_sent_once() -> None:
    assert judge_repeatedly(_flaky([True]), "any", "gate", allow(), "t") == "ok"


@pytest.mark.parametrize(
    "stop", [NotTested("request budget reached"), CampaignBudgetSpent("MAX_CAMPAIGNS spent")]
)
def test_a_budget_stop_during_the_rerun_keeps_the_finding_unlabelled(stop: Exception) -> None:
    def attempt() -> str:
        attempt.calls += 1  # type: ignore[attr-defined]
        if attempt.calls == 1:  # type: ignore[attr-defined]
            raise ConformanceFailure([Finding("semantic.echo", ("name differs",))])
        raise stop

    attempt.calls = 0  # type: ignore[attr-defined]
    with pytest.raises(ConformanceFailure) as info:
        judge_repeatedly(attempt, "any", "gate", allow(), "t")
    assert [f.repeat for f in info.value.findings] == [""]


def test_the_gate_reruns_one_case_per_broken_rule() -> None:
    allowance = allow()
    labels = []
    for case in ("a", "b", "c"):
        with pytest.raises(ConformanceFailure) as info:
            judge_repeatedly(_flaky([False, False]), case, "gate", allowance, case)
        labels += [f.repeat for f in info.value.findings]
    assert labels == ["reproduced (2 of 2)", "", ""]


def test_the_nightly_repeats_only_cases_that_create_nothing() -> None:
    """A repeat of a creating case would spend the campaign budget the property tests need."""
    case = next(c for c in (f"case-{i}" for i in range(50)) if planned_runs(c, "nightly") == 4)
    assert planned_runs(case, "nightly", creates=True) == 1
    assert judge_repeatedly(_flaky([True]), case, "nightly", allow(), "t", creates=True) == "ok"
