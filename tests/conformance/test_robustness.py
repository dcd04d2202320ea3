"""What is not JSON is a 400, JSON of the wrong shape or out of range a 422; never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks.verdict import expect_campaign, expect_status
from conformance.contract.cases import table
from conformance.run.api import Api

pytestmark = pytest.mark.robustness


def cases(name: str) -> list[Any]:
    return [pytest.param(p, id=p["id"]) for p in table(name)]


@pytest.mark.rule("body.not-json")
@pytest.mark.parametrize("probe", cases("not_json"))
def test_not_json_is_400(api: Api, probe: dict[str, Any]) -> None:
    exchange = api.post(raw=probe["raw"].encode(), content_type=probe["content_type"])
    expect_status(api, exchange, 400, "body.not-json")


@pytest.mark.rule("body.not-json")
@pytest.mark.parametrize("probe", cases("json_media"))
@pytest.mark.cost(requests=1, campaigns=1)
def test_json_media_types_count_as_json(api: Api, probe: dict[str, Any]) -> None:
    body = {"name": api.settings.name_prefix + "media-type"}
    exchange = api.post(body, content_type=probe["content_type"], creates=True)
    expect_campaign(api, exchange, rule="body.not-json")


@pytest.mark.rule("body.wrong-shape")
@pytest.mark.parametrize("probe", cases("wrong_shape"))
def test_wrong_top_level_type_is_422(api: Api, probe: dict[str, Any]) -> None:
    expect_status(api, api.post(raw=probe["raw"].encode()), 422, "body.wrong-shape")


@pytest.mark.rule("robustness.no-5xx")
@pytest.mark.parametrize("probe", cases("big_numbers"))
def test_huge_integers_are_422(api: Api, probe: dict[str, Any]) -> None:
    prefix = json.dumps(api.settings.name_prefix)
    raw = f'{{"name": {prefix}, "maxConcurrentCalls": {probe["raw"]}}}'.encode()
    exchange = api.post(raw=raw)
    expect_status(api, exchange, 422, "robustness.no-5xx", broken="maxConcurrentCalls")


@pytest.mark.rule("robustness.no-5xx")
@pytest.mark.cost(requests=1, campaigns=1)
def test_past_32_bits_is_still_an_integer(api: Api) -> None:
    body = {"name": api.settings.name_prefix + "2^31", "maxConcurrentCalls": 2**31}
    expect_campaign(api, api.post(body, creates=True), rule="robustness.no-5xx")


@pytest.mark.rule("robustness.no-5xx")
def test_deep_nesting_is_a_4xx(api: Api) -> None:
    depth = 2000  # past common recursion limits, still only 4 KB
    raw = b'{"name": "x", "description": ' + b"[" * depth + b"]" * depth + b"}"
    expect_status(api, api.post(raw=raw), {400, 422}, "robustness.no-5xx")


@pytest.mark.rule("robustness.no-5xx")
def test_large_name_is_422(api: Api) -> None:
    # Large next to the 255 bound, yet well under common body-size limits (a 413 is no 4xx of
    # the contract, and a limit is no breach of it).
    body = {"name": "x" * 20_000}
    exchange = api.post(body)
    expect_status(api, exchange, 422, "robustness.no-5xx", broken="name")
