"""The deterministic boundary matrix: every edge of every request rule, derived from the document."""

from __future__ import annotations

import pytest

from conformance.checks.verdict import expect_campaign, expect_error_path, expect_status
from conformance.contract.document import target_operation
from conformance.contract.matrix import MatrixCase, build_matrix
from conformance.pytest_layer.plugin import context
from conformance.run.settings import name_prefix
from conformance.wire.api import Api

pytestmark = pytest.mark.boundary


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The matrix, named with this run's prefix (the run context's id), built at collection."""
    prefix = name_prefix(context(metafunc.config).run_id)
    cases = build_matrix(prefix)
    params = [pytest.param(c, id=c.id, marks=pytest.mark.rule(c.rule)) for c in cases]
    metafunc.parametrize("case", params)


def test_edge(case: MatrixCase, api: Api) -> None:
    body = case.body
    exchange = api.post(body)
    if case.expect == target_operation().success:
        expect_campaign(exchange, body, api.memory, "API_KEY", rule=case.rule, hint=case.hint)
    else:
        expect_status(exchange, case.expect, case.rule, hint="; ".join(case.notes))
        if case.broken:
            expect_error_path(exchange, case.broken, case.rule)
