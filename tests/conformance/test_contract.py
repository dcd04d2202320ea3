"""Property-based tests from the document (Schemathesis): positive and negative data, every
built-in check that judges one response, then every registered check of ours (the semantic ones
on every 201). Each failure becomes a finding under its rule
(`conformance.checks.property.RULE_OF_FAILURE`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from hypothesis import reject
from schemathesis.core.failures import Failure, FailureGroup

from conformance.checks.property import (
    EXPLICIT_POSITIVE,
    PROPERTY_RULES,
    REPLAYS_PER_PHASE,
    as_finding,
    coverage_cases,
    load_schema,
    positive_examples,
    positive_share,
    property_phases,
)
from conformance.checks.response import encoding_problems
from conformance.checks.verdict import verdict
from conformance.contract.document import request_schema, request_validator, target_operation
from conformance.findings import CampaignBudgetSpent, ConformanceFailure, Finding
from conformance.run.api import Api
from conformance.run.cost import Cost
from conformance.run.run import FailedCase
from conformance.settings import Settings, mark_name

pytestmark = [
    pytest.mark.contract,
    *(pytest.mark.rule(r) for r in (*PROPERTY_RULES, encoding_problems.rule)),
]
REPLAYS = "property replays"


def negative_cost(settings: Settings, left: int) -> Cost:
    """The examples and the document's examples beside them; at the nightly, the coverage phase's
    cases (Schemathesis counts them from the document). A generated "invalid" body the document
    in fact allows is created: a couple allowed for, and every such coverage case."""
    replays = property_phases(settings) * REPLAYS_PER_PHASE
    coverage, allowed = coverage_cases(settings)
    return Cost(settings.examples + 2 + coverage, 2 + allowed, replays, REPLAYS)


def positive_cost(settings: Settings, left: int) -> Cost:
    """Each case creates a campaign: what the campaign budget leaves, the document's examples
    first (none left: not tested)."""
    replays = property_phases(settings) * REPLAYS_PER_PHASE
    try:
        sent = positive_examples(settings, left) + EXPLICIT_POSITIVE
    except CampaignBudgetSpent:
        sent = 0
    return Cost(sent, min(sent, max(left, 0)), replays, REPLAYS)


@pytest.fixture(scope="session")
def negative_schema(target: Settings) -> Any:
    """Bodies that break the request table: each a 4xx that creates nothing. The coverage phase
    (every edge of every field, which the boundary matrix already proves) runs nightly only."""
    return load_schema(
        target, mode="negative", examples=target.examples, coverage=target.depth == "nightly"
    )


@pytest.fixture(scope="session")
def positive_schema(target: Settings, api: Api) -> Any:
    """Valid bodies: each creates a campaign, so the gate keeps a small seeded share, within
    what this test declared and what the budget has left (they run after every other creating
    case)."""
    plan = api.run.plan.tests if api.run.plan is not None else {}
    declared = next((c for t, c in plan.items() if t.endswith("::test_positive")), None)
    share = declared.campaigns if declared is not None else positive_share(target)
    left = min(share, api.run.campaigns_left())
    return load_schema(
        target, mode="positive", examples=positive_examples(target, left), coverage=False
    )


negative = schemathesis.pytest.from_fixture("negative_schema")
positive = schemathesis.pytest.from_fixture("positive_schema")
NAME_MAX = request_schema()["properties"]["name"]["maxLength"]


@negative.parametrize()
@pytest.mark.cost(declare=negative_cost)
def test_negative(case: Any, api: Api) -> None:
    check_case(case, api, creates=False)


@positive.parametrize()
@pytest.mark.cost(declare=positive_cost, rest=True)
def test_positive(case: Any, api: Api) -> None:
    check_case(case, api, creates=True)


def check_case(case: Any, api: Api, creates: bool) -> None:
    run = api.run
    if isinstance(case.body, dict) and isinstance(case.body.get("name"), str):
        case.body["name"] = mark_name(case.body["name"], api.settings.name_prefix, NAME_MAX)
    # Hypothesis sends a failing case once more to report it: with no campaign left for that
    # replay, the finding it already made stands (never "not tested").
    failed, spent = run.failed_case, run.campaigns_left() <= 0
    if spent and failed is not None and (failed.creates, failed.body) == (creates, case.body):
        raise failed.failure
    # A case that creates a campaign on a conforming target (every positive one; a negative one
    # whose body the document in fact allows, such as a document example; any negative one
    # once the target has created for an invalid body) draws on the campaign budget.
    allowed = creates or request_validator().is_valid(case.body)
    if allowed or run.invalid_accepted:
        if spent and not creates and not run.invalid_accepted:
            # A valid body among the negative cases is not one of them: left out, and the
            # negative cases, which create nothing, go on.
            reject()
        run.spend_campaign(intended=allowed)
    # Through the guarded session: paced, counted, capped, never redirected.
    response = case.call(session=api.session)
    exchange = api.session.exchange_of(response.request)
    if not creates and target_operation().may_have_created(exchange.status):
        run.invalid_accepted = True
    try:
        _judge(case, response, exchange, api)
    except ConformanceFailure as failure:
        run.failed_case = FailedCase(creates, copy.deepcopy(case.body), failure)
        raise


def _judge(case: Any, response: Any, exchange: Any, api: Api) -> None:
    # Schemathesis's JSON reading guesses UTF-16 and would pass such a body: ours first.
    api.judged(exchange, [encoding_problems.rule])
    if problems := encoding_problems(api.context(exchange), exchange):
        hint = encoding_problems.hint
        raise ConformanceFailure([Finding(encoding_problems.rule, tuple(problems), exchange, hint)])
    try:
        case.validate_response(response)
    except FailureGroup as group:
        raise ConformanceFailure([as_finding(f, exchange) for f in group.exceptions]) from None
    except Failure as failure:
        raise ConformanceFailure([as_finding(failure, exchange)]) from None
    verdict(api, exchange)  # every registered check of ours, the semantic ones on a 201
