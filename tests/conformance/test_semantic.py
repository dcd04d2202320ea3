"""Semantic checks on requests built for them: every check in each context the contract tells
apart (a covering array of template, direction, kind, handler fields and key), fresh ids, and
client identity."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks.contexts import MAIN, OTHER, Context, context_body, contexts
from conformance.checks.repeat import judge_repeatedly
from conformance.checks.verdict import expect_campaign, fail
from conformance.run.settings import collected_depth
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.semantic

Probe = tuple[dict[str, Any], Exchange]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The covering array's rows at this run's depth, built at collection."""
    if "ctx" in metafunc.fixturenames:
        rows = contexts(collected_depth())
        # A row with a template also declares the template rule: its outcome (not runnable,
        # when TEMPLATE_ID was rejected) is that rule's too.
        template = pytest.mark.rule("semantic.template-name")
        params = [
            pytest.param(c, id=c.id, marks=[template] if c.row["template"] else []) for c in rows
        ]
        metafunc.parametrize("ctx", params)


def _send(api: Api, ctx: Context, probe: list[Probe]) -> tuple[dict[str, Any], Exchange, str]:
    """The context's request; a context whose input is not configured (TEMPLATE_ID,
    OTHER_API_KEY) is sent without it, so the rest of the row is still covered."""
    settings = api.settings
    key = ctx.row["key"] if ctx.row["key"] != OTHER or settings.other_api_key else MAIN
    body = context_body(ctx, settings.name_prefix, settings.template_id)
    if probe:
        # The preflight's template probe is this row's request: judged here, sent once.
        body, exchange = probe.pop()
        return body, exchange, key
    return body, api.post(body, key=key, creates=True), key


@pytest.mark.rule("semantic.echo")
@pytest.mark.cost(requests=1, campaigns=1)
def test_context(ctx: Context, api: Api, request: pytest.FixtureRequest) -> None:
    # An input the target rejected at the vetting: this row's checks are not runnable.
    uses = {"TEMPLATE_ID": ctx.row["template"], "OTHER_API_KEY": ctx.row["key"] == OTHER}
    api.require(*(variable for variable, used in uses.items() if used))
    made = request.getfixturevalue("template_probe") if ctx.is_preflight_probe else None
    probe: list[Probe] = [made] if made is not None else []

    def attempt() -> None:
        body, exchange, key = _send(api, ctx, probe)
        campaign = expect_campaign(exchange, body, api.memory, key, rule="semantic.echo")
        api.memory.created_by_key.setdefault(key, (campaign, exchange))

    judge_repeatedly(attempt, request.node.name, api.settings.depth, api.reruns, creates=True)


@pytest.mark.rule("semantic.id")
@pytest.mark.cost(requests=2, campaigns=2)
def test_same_body_twice_gives_two_campaigns(api: Api, request: pytest.FixtureRequest) -> None:
    body = {"name": api.settings.name_prefix + "twice"}

    def attempt() -> None:
        first = expect_campaign(
            api.post(body, creates=True), body, api.memory, MAIN, rule="semantic.id"
        )
        second_exchange = api.post(body, creates=True)
        second = expect_campaign(second_exchange, body, api.memory, MAIN, rule="semantic.id")
        if first["id"] == second["id"]:
            fail("semantic.id", f"two calls returned the same id {first['id']}", second_exchange)

    judge_repeatedly(attempt, request.node.name, api.settings.depth, api.reruns, creates=True)


@pytest.mark.rule("semantic.client")
# Nothing of its own when the context rows ran: they created campaigns with both keys.
@pytest.mark.cost(requests=0, campaigns=0)
def test_clients_are_told_apart(api: Api, request: pytest.FixtureRequest) -> None:
    if not api.settings.other_api_key:
        pytest.skip("client-identity check needs OTHER_API_KEY (a key of another client)")
    api.require("OTHER_API_KEY")
    body = {"name": api.settings.name_prefix + "client"}

    def created(key: str) -> tuple[dict[str, Any], Exchange]:
        if key in api.memory.created_by_key:
            return api.memory.created_by_key[key]
        exchange = api.post(body, key=key, creates=True)
        return expect_campaign(exchange, body, api.memory, key, rule="semantic.client"), exchange

    def attempt() -> None:
        (mine, _), (theirs, other_exchange) = created(MAIN), created(OTHER)
        if mine["client"]["id"] == theirs["client"]["id"]:
            fail(
                "semantic.client",
                f"both clients' campaigns carry client.id {mine['client']['id']}",
                other_exchange,
            )

    judge_repeatedly(attempt, request.node.name, api.settings.depth, api.reruns, creates=True)
