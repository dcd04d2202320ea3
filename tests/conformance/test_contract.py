"""Property-based tests from the document (Schemathesis): positive and negative data, every
built-in check that judges one response, and the semantic checks on every 201. Each failure
becomes a finding under its rule (`conformance.checks.property.RULE_OF_FAILURE`)."""

from __future__ import annotations

import copy

import pytest
import schemathesis
from hypothesis import reject
from schemathesis.core.failures import Failure, FailureGroup

from conformance.checks.property import (
    PROPERTY_RULES,
    as_finding,
    load_schema,
    positive_examples,
)
from conformance.checks.verdict import UTF8_HINT, encoding_problems, semantic_findings
from conformance.contract.document import request_schema, request_validator, target_operation
from conformance.run.findings import ConformanceFailure, Finding
from conformance.run.settings import Settings, mark_name
from conformance.wire.api import Api

pytestmark = [
    pytest.mark.contract,
    *(pytest.mark.rule(r) for r in (*PROPERTY_RULES, encoding_problems.rule)),
]


@pytest.fixture(scope="session")
def negative_schema(target: Settings):
    """Bodies that break the request table: each a 4xx that creates nothing. The coverage phase
    (every edge of every field, which the boundary matrix already proves) runs nightly only."""
    return load_schema(
        target, mode="negative", examples=target.examples, coverage=target.depth == "nightly"
    )


@pytest.fixture(scope="session")
def positive_schema(target: Settings, api: Api):
    """Valid bodies: each creates a campaign, so the gate keeps a small seeded share, and no
    run more than its campaign budget has left (they run after every other creating case)."""
    examples = positive_examples(target, api.campaigns_left())
    return load_schema(target, mode="positive", examples=examples, coverage=False)


negative = schemathesis.pytest.from_fixture("negative_schema")
positive = schemathesis.pytest.from_fixture("positive_schema")
NAME_MAX = request_schema()["properties"]["name"]["maxLength"]


@negative.parametrize()
def test_negative(case, api: Api) -> None:
    check_case(case, api, creates=False)


@positive.parametrize()
def test_positive(case, api: Api) -> None:
    check_case(case, api, creates=True)


def check_case(case, api: Api, creates: bool) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("name"), str):
        case.body["name"] = mark_name(case.body["name"], api.settings.name_prefix, NAME_MAX)
    # Hypothesis sends a failing case once more to report it: with no campaign left for that
    # replay, the finding it already made stands (never "not tested").
    failed = api.memory.failed_case
    spent = api.campaigns_left() <= 0
    if spent and failed is not None and failed[0] == (creates, case.body):
        raise failed[1]
    # A case that creates a campaign on a conforming target (every positive one; a negative one
    # whose body the document in fact allows, such as a document example; any negative one
    # once the target has created for an invalid body) draws on the campaign budget.
    if creates or api.memory.invalid_accepted or request_validator().is_valid(case.body):
        if spent and not creates and not api.memory.invalid_accepted:
            # A valid body among the negative cases is not one of them: left out, and the
            # negative cases, which create nothing, go on.
            reject()
        api.spend_campaign()
    # Through the guarded session: paced, counted, capped, never redirected.
    response = case.call(session=api.session)
    exchange = api.session.exchange_of(response.request)
    if not creates and target_operation().may_have_created(exchange.status):
        api.memory.invalid_accepted = True
    try:
        _judge(case, response, exchange, api)
    except ConformanceFailure as failure:
        api.memory.failed_case = ((creates, copy.deepcopy(case.body)), failure)
        raise


def _judge(case, response, exchange, api: Api) -> None:
    # Before Schemathesis's checks: its JSON reading guesses UTF-16 and would pass such a body.
    exchange.judge(encoding_problems.rule)
    if problems := encoding_problems(exchange):
        raise ConformanceFailure(
            [Finding(encoding_problems.rule, tuple(problems), exchange, UTF8_HINT)]
        )
    try:
        case.validate_response(response)
    except FailureGroup as group:
        raise ConformanceFailure([as_finding(f, exchange) for f in group.exceptions]) from None
    except Failure as failure:
        raise ConformanceFailure([as_finding(failure, exchange)]) from None
    campaign = target_operation().created(exchange.status, exchange.json())
    if campaign is not None and isinstance(case.body, dict):
        findings = semantic_findings(case.body, campaign, api.memory, "API_KEY", exchange)
        if findings:
            raise ConformanceFailure(findings)
