"""Semantic checks on requests built for them: every check in each context the contract tells
apart (a covering array of template, direction, kind, handler fields and key), fresh ids, and
client identity."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks.contexts import MAIN, OTHER, Context, context_body, contexts
from conformance.checks.repeat import judge_repeatedly, planned_runs
from conformance.checks.verdict import expect_campaign, fail
from conformance.run.api import Api
from conformance.run.cost import Cost
from conformance.settings import Settings, collected_depth
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.semantic

Probe = tuple[dict[str, Any], Exchange]


def _row_cost(ctx: Context, runs: int) -> Any:
    """One request and one campaign a run; none for the row the vetting's template probe is,
    when the vetting makes it (it is judged here, not sent twice)."""

    def declare(settings: Settings, left: int) -> Cost:
        made_by_vetting = ctx.is_preflight_probe and settings.vet_inputs and settings.template_id
        return Cost(0, 0) if made_by_vetting else Cost(runs, runs)

    return pytest.mark.cost(declare=declare)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The covering array's rows at this run's depth, built at collection."""
    if "ctx" in metafunc.fixturenames:
        depth = collected_depth()
        # A row with a template also declares the template rule: its outcome (not runnable,
        # when TEMPLATE_ID was rejected) is that rule's too.
        template = pytest.mark.rule("semantic.template-name")
        params = []
        for c in contexts(depth):
            runs = planned_runs(f"{metafunc.function.__name__}[{c.id}]", depth, creates=True)
            marks = [_row_cost(c, runs), *([template] if c.row["template"] else [])]
            params.append(pytest.param(c, id=c.id, marks=marks))
        metafunc.parametrize("ctx", params)


def _send(api: Api, ctx: Context, probe: list[Probe]) -> Exchange:
    """The context's request; a context whose input is not configured (TEMPLATE_ID,
    OTHER_API_KEY) is sent without it, so the rest of the row is still covered."""
    settings = api.settings
    key = ctx.row["key"] if ctx.row["key"] != OTHER or settings.other_api_key else MAIN
    if probe:
        # The vetting's template probe is this row's request: judged here, sent once.
        return probe.pop()[1]
    body = context_body(ctx, settings.name_prefix, settings.template_id)
    return api.post(body, key=key, creates=True)


@pytest.mark.rule("semantic.echo")
def test_context(ctx: Context, api: Api, request: pytest.FixtureRequest) -> None:
    # An input the target rejected at the vetting: this row's checks are not runnable.
    uses = {"TEMPLATE_ID": ctx.row["template"], "OTHER_API_KEY": ctx.row["key"] == OTHER}
    for variable, used in uses.items():
        if used and variable in api.run.inputs.rejected:
            api.run.inputs.require(variable)
    made = request.getfixturevalue("template_probe") if ctx.is_preflight_probe else None
    probe: list[Probe] = [made] if made is not None else []

    def attempt() -> None:
        exchange = _send(api, ctx, probe)
        campaign = expect_campaign(api, exchange, rule="semantic.echo")
        api.memory.created_by_key.setdefault(exchange.key_var or MAIN, (campaign, exchange))

    judge_repeatedly(
        attempt,
        request.node.name,
        api.settings.depth,
        api.run.allowance,
        request.node.nodeid,
        (1, 1),
        creates=True,
    )


@pytest.mark.rule("semantic.id")
@pytest.mark.cost(requests=2, campaigns=2)
def test_same_body_twice_gives_two_campaigns(api: Api, request: pytest.FixtureRequest) -> None:
    body = {"name": api.settings.name_prefix + "twice"}

    def attempt() -> None:
        first = expect_campaign(api, api.post(body, creates=True), rule="semantic.id")
        second_exchange = api.post(body, creates=True)
        second = expect_campaign(api, second_exchange, rule="semantic.id")
        if first["id"] == second["id"]:
            fail("semantic.id", f"two calls returned the same id {first['id']}", second_exchange)

    judge_repeatedly(
        attempt,
        request.node.name,
        api.settings.depth,
        api.run.allowance,
        request.node.nodeid,
        (2, 2),
        creates=True,
    )


@pytest.mark.rule("semantic.client")
# Nothing of its own when the context rows ran (they created campaigns with both keys); one
# campaign with each key when they did not.
@pytest.mark.cost(requests=0, campaigns=0, extra=2, why="client probes (context rows not run)")
def test_clients_are_told_apart(api: Api, request: pytest.FixtureRequest) -> None:
    api.run.inputs.require("OTHER_API_KEY")
    body = {"name": api.settings.name_prefix + "client"}

    def created(key: str) -> tuple[dict[str, Any], Exchange]:
        if key in api.memory.created_by_key:
            return api.memory.created_by_key[key]
        exchange = api.post(body, key=key, creates=True)
        return expect_campaign(api, exchange, rule="semantic.client"), exchange

    def attempt() -> None:
        (mine, _), (theirs, other_exchange) = created(MAIN), created(OTHER)
        if mine["client"]["id"] == theirs["client"]["id"]:
            fail(
                "semantic.client",
                f"both clients' campaigns carry client.id {mine['client']['id']}",
                other_exchange,
                hint="OTHER_API_KEY may be wrong (a key of API_KEY's own client), or the "
                "target gives every client the same id",
            )

    judge_repeatedly(
        attempt,
        request.node.name,
        api.settings.depth,
        api.run.allowance,
        request.node.nodeid,
        (2, 2),
        creates=True,
    )
