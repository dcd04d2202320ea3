"""The deterministic boundary matrix: every edge of every request rule, derived from the document."""

from __future__ import annotations

import pytest

from conformance.checks.verdict import expect_campaign, expect_error_path, expect_status
from conformance.contract.matrix import MatrixCase, build_matrix
from conformance.run.settings import name_prefix
from conformance.wire.api import Api

pytestmark = pytest.mark.boundary

CASES = build_matrix(name_prefix())


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=pytest.mark.rule(c.rule)) for c in CASES]
)
def test_edge(case: MatrixCase, api: Api) -> None:
    body = case.body
    exchange = api.post(body)
    if case.expect == 201:
        expect_campaign(exchange, body, api.memory, "API_KEY", rule=case.rule, hint=case.hint)
    else:
        expect_status(exchange, case.expect, case.rule, hint="; ".join(case.notes))
        if case.broken:
            expect_error_path(exchange, case.broken, case.rule)
