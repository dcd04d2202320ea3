"""Authentication, tenancy and the order of decisions (the probes are data: conformance/cases)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks.verdict import expect_status
from conformance.contract.cases import table
from conformance.wire.api import Api

pytestmark = pytest.mark.auth


def valid(api: Api) -> dict:
    return {"name": api.settings.name_prefix + "auth"}


def need(api: Api, *labels: str) -> None:
    missing = [label for label in labels if not getattr(api.settings, label.lower(), None)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    api.require(*labels)  # given, but rejected by the target at the vetting: not runnable


@pytest.mark.rule("auth.unauthorized")
@pytest.mark.parametrize("probe", [pytest.param(p, id=p["id"]) for p in table("bad_keys")])
def test_bad_key_is_401(api: Api, probe: dict[str, Any]) -> None:
    _, literal = api.key_for(probe["key"])
    exchange = api.post(valid(api), key=None, api_key=literal)
    expect_status(exchange, 401, "auth.unauthorized")


@pytest.mark.rule("auth.forbidden")
def test_key_without_permission_is_403(api: Api) -> None:
    need(api, "FORBIDDEN_API_KEY")
    expect_status(api.post(valid(api), key="FORBIDDEN_API_KEY"), 403, "auth.forbidden")


@pytest.mark.rule("auth.tenant")
def test_other_clients_template_is_404(api: Api) -> None:
    need(api, "OTHER_API_KEY", "TEMPLATE_ID")
    body = {**valid(api), "templateId": api.settings.template_id}
    expect_status(api.post(body, key="OTHER_API_KEY"), 404, "auth.tenant")


@pytest.mark.parametrize(
    "probe",
    [pytest.param(p, id=p["id"], marks=pytest.mark.rule(p["rule"])) for p in table("order")],
)
def test_order_of_decisions(api: Api, probe: dict[str, Any]) -> None:
    variable, literal = api.key_for(probe["key"])
    if variable:
        need(api, variable)
    raw = probe["raw"].encode() if "raw" in probe else json.dumps(probe["body"]).encode()
    exchange = api.post(
        raw=raw,
        key=variable,
        api_key=literal,
        content_type=probe.get("content_type", "application/json"),
    )
    expect_status(exchange, probe["expect"], probe["rule"])
