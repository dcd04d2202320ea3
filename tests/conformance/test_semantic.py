"""Semantic checks on requests built for them: full echo, defaults, template, identity, fresh ids."""

from __future__ import annotations

import pytest

from conformance.checks.semantic import HANDLER_FIELDS
from conformance.checks.verdict import expect_campaign, fail
from conformance.wire.api import Api

pytestmark = pytest.mark.semantic


def full_body(api: Api) -> dict:
    """Every field of the table with a non-default value, so each echo is visible."""
    body = {
        "name": api.settings.name_prefix + "echo",
        "description": "  echo test, spaces kept  ",
        "maxConcurrentCalls": 7,
        "direction": "inbound",
        "kind": "agent_first",
    }
    values = {
        "HandlerKind": ("ai", "terminal"),
        "RoutingConfigId": (
            "2f1c6a9e-7d3b-4c8e-9a1f-0b2c3d4e5f60",
            "8a7b6c5d-4e3f-8a1b-bc2d-3e4f5a6b7c8d",
        ),
        "AssistantId": ("assistant-primary", "assistant-after-hours"),
        "TerminalType": ("forward", "voicemail"),
        "TerminalNumber": ("+15550100001", "+15550100002"),
    }
    for name in HANDLER_FIELDS:
        side = 0 if name.startswith("primary") else 1
        body[name] = values[name.removeprefix("primary").removeprefix("afterHours")][side]
    return body


@pytest.mark.rule("semantic.echo")
@pytest.mark.cost(requests=1, campaigns=1)
def test_every_field_is_echoed(api: Api) -> None:
    body = full_body(api)
    expect_campaign(api.post(body), body, api.memory, "API_KEY", rule="semantic.echo")


@pytest.mark.rule("semantic.echo")
@pytest.mark.cost(requests=1, campaigns=1)
def test_omitted_fields_take_their_defaults(api: Api) -> None:
    body = {"name": api.settings.name_prefix + "defaults"}
    expect_campaign(api.post(body), body, api.memory, "API_KEY", rule="semantic.echo")


@pytest.mark.rule("semantic.id")
@pytest.mark.cost(requests=2, campaigns=2)
def test_same_body_twice_gives_two_campaigns(api: Api) -> None:
    body = {"name": api.settings.name_prefix + "twice"}
    first = expect_campaign(api.post(body), body, api.memory, "API_KEY", rule="semantic.id")
    second_exchange = api.post(body)
    second = expect_campaign(second_exchange, body, api.memory, "API_KEY", rule="semantic.id")
    if first["id"] == second["id"]:
        fail("semantic.id", f"two calls returned the same id {first['id']}", second_exchange)


@pytest.mark.rule("semantic.template-name")
@pytest.mark.cost(requests=1, campaigns=1)
def test_template_campaign_names_its_template(api: Api) -> None:
    if not api.settings.template_id:
        pytest.skip("template checks need TEMPLATE_ID (a template of API_KEY's client)")
    api.require("TEMPLATE_ID")
    # The preflight's template probe, when it made one (it vets TEMPLATE_ID), is this case.
    body = {"name": api.settings.name_prefix + "template", "templateId": api.settings.template_id}
    body, exchange = api.prefetched.pop("template", None) or (body, api.post(body))
    expect_campaign(exchange, body, api.memory, "API_KEY", rule="semantic.template-name")


@pytest.mark.rule("semantic.client")
@pytest.mark.cost(requests=2, campaigns=2)
def test_clients_are_told_apart(api: Api) -> None:
    if not api.settings.other_api_key:
        pytest.skip("client-identity check needs OTHER_API_KEY (a key of another client)")
    api.require("OTHER_API_KEY")
    body = {"name": api.settings.name_prefix + "client"}
    mine = expect_campaign(api.post(body), body, api.memory, "API_KEY", rule="semantic.client")
    other_exchange = api.post(body, key="OTHER_API_KEY")
    theirs = expect_campaign(
        other_exchange, body, api.memory, "OTHER_API_KEY", rule="semantic.client"
    )
    if mine["client"]["id"] == theirs["client"]["id"]:
        fail(
            "semantic.client",
            f"both clients' campaigns carry client.id {mine['client']['id']}",
            other_exchange,
        )
