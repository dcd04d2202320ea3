"""The deterministic boundary matrix: every edge of every request rule, derived from the document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.checks.repeat import judge_repeatedly, planned_runs
from conformance.checks.verdict import expect_campaign, expect_status
from conformance.contract.document import target_operation
from conformance.contract.matrix import MatrixCase, build_matrix
from conformance.findings import ConformanceFailure
from conformance.pytest_layer.plugin import run_of
from conformance.run.api import Api
from conformance.settings import collected_depth, name_prefix
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.boundary


def _creates(case: MatrixCase) -> bool:
    return case.expect == target_operation().success


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The matrix, named with this run's prefix (the run's id), built at collection; each case
    declares its cost: one request (a campaign when it creates one), times the nightly's runs."""
    prefix = name_prefix(run_of(metafunc.config).run_id)
    depth = collected_depth()
    cases = build_matrix(prefix, deep=depth == "nightly")
    params = []
    for case in cases:
        # The node's own name, as the test passes it to judge_repeatedly.
        runs = planned_runs(f"{metafunc.function.__name__}[{case.id}]", depth, _creates(case))
        cost = pytest.mark.cost(requests=runs, campaigns=runs if _creates(case) else 0)
        params.append(pytest.param(case, id=case.id, marks=[pytest.mark.rule(case.rule), cost]))
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
    exchange = api.post(case.body, creates=_creates(case))
    if _creates(case):
        try:
            expect_campaign(api, exchange, rule=case.rule)
        except ConformanceFailure as failure:
            shapes = "; ".join(_named_fields(case, failure))
            raise ConformanceFailure(
                [
                    replace(f, hint="; ".join(filter(None, (f.hint, case.hint or shapes))))
                    for f in failure.findings
                ]
            ) from None
    else:
        expect_status(
            api, exchange, case.expect, case.rule, hint="; ".join(case.notes), broken=case.broken
        )
    return exchange


def test_edge(case: MatrixCase, api: Api, request: pytest.FixtureRequest) -> None:
    creates = _creates(case)
    judge_repeatedly(
        lambda: _attempt(case, api),
        request.node.name,
        api.settings.depth,
        api.run.allowance,
        request.node.nodeid,
        (1, 1 if creates else 0),
        creates,
    )
