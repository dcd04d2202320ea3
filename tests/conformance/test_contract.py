"""Property-based tests from the document (Schemathesis): positive and negative data, every
built-in check that judges one response, and the semantic checks on every 201. Each failure
becomes a finding under its rule (`conformance.checks.property.RULE_OF_FAILURE`)."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from conformance.checks.property import (
    PROPERTY_RULES,
    as_finding,
    load_schema,
    positive_examples,
)
from conformance.checks.verdict import semantic_findings
from conformance.contract.document import request_schema, target_operation
from conformance.run.findings import ConformanceFailure
from conformance.run.settings import Settings, mark_name
from conformance.wire.api import Api

pytestmark = [pytest.mark.contract, *(pytest.mark.rule(r) for r in PROPERTY_RULES)]


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
    check_case(case, api)


@positive.parametrize()
def test_positive(case, api: Api) -> None:
    check_case(case, api)


def check_case(case, api: Api) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("name"), str):
        case.body["name"] = mark_name(case.body["name"], api.settings.name_prefix, NAME_MAX)
    # A generated case may create a campaign (a positive one does; a negative one the target
    # wrongly accepts, too): none is sent once the campaign budget is spent.
    api.spend_campaign()
    # Through the guarded session: paced, counted, capped, never redirected.
    response = case.call(session=api.session)
    exchange = api.session.exchange_of(response.request)
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
