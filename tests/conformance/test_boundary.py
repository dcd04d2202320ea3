"""The deterministic boundary matrix: every edge of every request rule, derived from the document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.checks.repeat import judge_repeatedly
from conformance.checks.verdict import expect_campaign, expect_error_path, expect_status
from conformance.contract.document import target_operation
from conformance.contract.matrix import MatrixCase, build_matrix
from conformance.pytest_layer.plugin import context
from conformance.run.findings import ConformanceFailure
from conformance.run.settings import collected_depth, name_prefix
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.boundary


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The matrix, named with this run's prefix (the run context's id), built at collection."""
    prefix = name_prefix(context(metafunc.config).run_id)
    cases = build_matrix(prefix, deep=collected_depth() == "nightly")
    params = [pytest.param(c, id=c.id, marks=pytest.mark.rule(c.rule)) for c in cases]
    metafunc.parametrize("case", params)


def _named_fields(case: MatrixCase, failure: ConformanceFailure) -> list[str]:
    """The notes of the fields a failure names (in what it says, or in a 422's error paths):
    the shape that broke the rule, not a guess at the cause."""
    text = " ".join(w for f in failure.findings for w in f.what)
    paths: set[str] = set()
    for f in failure.findings:
        body = f.exchange.json() if f.exchange is not None and f.exchange.status == 422 else None
        errors = body.get("errors") if isinstance(body, dict) else None
        paths |= {str(e["path"][0]) for e in errors or [] if isinstance(e, dict) and e.get("path")}
    named = [
        n for n in case.notes if (field := n.split(": ", 1)[0]) in paths or f"{field}:" in text
    ]
    return named or list(case.notes)


def _attempt(case: MatrixCase, api: Api) -> Exchange:
    creates = case.expect == target_operation().success
    exchange = api.post(case.body, creates=creates)
    if creates:
        try:
            expect_campaign(exchange, case.body, api.memory, "API_KEY", rule=case.rule)
        except ConformanceFailure as failure:
            shapes = "; ".join(_named_fields(case, failure))
            raise ConformanceFailure(
                [
                    replace(f, hint="; ".join(filter(None, (f.hint, case.hint or shapes))))
                    for f in failure.findings
                ]
            ) from None
    else:
        expect_status(exchange, case.expect, case.rule, hint="; ".join(case.notes))
        if case.broken:
            expect_error_path(exchange, case.broken, case.rule)
    return exchange


def test_edge(case: MatrixCase, api: Api, request: pytest.FixtureRequest) -> None:
    creates = case.expect == target_operation().success
    judge_repeatedly(
        lambda: _attempt(case, api), request.node.name, api.settings.depth, api.reruns, creates
    )
