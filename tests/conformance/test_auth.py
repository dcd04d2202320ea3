"""Authentication, tenancy and the order of decisions (the probes are data: conformance/cases)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks.verdict import expect_status
from conformance.contract.cases import table
from conformance.run.api import Api

pytestmark = pytest.mark.auth


def valid(api: Api) -> dict[str, str]:
    return {"name": api.settings.name_prefix + "auth"}


@pytest.mark.rule("auth.unauthorized")
@pytest.mark.parametrize("probe", [pytest.param(p, id=p["id"]) for p in table("bad_keys")])
def test_bad_key_is_401(api: Api, probe: dict[str, Any]) -> None:
    _, literal = api.key_for(probe["key"])
    exchange = api.post(valid(api), key=None, api_key=literal)
    expect_status(api, exchange, 401, "auth.unauthorized")


@pytest.mark.rule("auth.forbidden")
def test_key_without_permission_is_403(api: Api) -> None:
    exchange = api.post(valid(api), key="FORBIDDEN_API_KEY")
    expect_status(
        api,
        exchange,
        403,
        "auth.forbidden",
        hint="FORBIDDEN_API_KEY must be a known key without create permission: if it may "
        "create, the variable is wrong; if it is such a key, the target breaks the rule",
    )


@pytest.mark.rule("auth.tenant")
def test_other_clients_template_is_404(api: Api) -> None:
    api.run.inputs.require("OTHER_API_KEY", "TEMPLATE_ID")
    body = {**valid(api), "templateId": api.settings.template_id}
    expect_status(
        api,
        api.post(body, key="OTHER_API_KEY"),
        404,
        "auth.tenant",
        hint="OTHER_API_KEY may be wrong (a key of API_KEY's own client), or the target lets "
        "another client use this template",
    )


@pytest.mark.parametrize(
    "probe",
    [pytest.param(p, id=p["id"], marks=pytest.mark.rule(p["rule"])) for p in table("order")],
)
def test_order_of_decisions(api: Api, probe: dict[str, Any]) -> None:
    variable, literal = api.key_for(probe["key"])
    raw = probe["raw"].encode() if "raw" in probe else json.dumps(probe["body"]).encode()
    exchange = api.post(
        raw=raw,
        key=variable,
        api_key=literal,
        content_type=probe.get("content_type", "application/json"),
    )
    expect_status(api, exchange, probe["expect"], probe["rule"])
