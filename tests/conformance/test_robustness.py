"""What is not JSON is a 400, JSON of the wrong shape or out of range a 422; never a 5xx."""

from __future__ import annotations

import pytest

from conformance.api import Api
from conformance.verdict import expect_campaign, expect_error_path, expect_status

pytestmark = pytest.mark.robustness

NOT_JSON = [
    ("malformed", b'{"name": "x"', "application/json"),
    ("empty", b"", "application/json"),
    ("nan-literal", b'{"name": "x", "maxConcurrentCalls": NaN}', "application/json"),
    ("text-plain", b'{"name": "x"}', "text/plain"),
    ("form-encoded", b"name=x", "application/x-www-form-urlencoded"),
    ("no-content-type", b'{"name": "x"}', None),
]


@pytest.mark.rule("body.not-json")
@pytest.mark.parametrize(
    ("raw", "content_type"), [pytest.param(r, c, id=i) for i, r, c in NOT_JSON]
)
def test_not_json_is_400(api: Api, raw: bytes, content_type: str | None) -> None:
    expect_status(api.post(raw=raw, content_type=content_type), 400, "body.not-json")


# Media types ignore case and may carry parameters (RFC 9110); a +json suffix counts as JSON.
JSON_MEDIA = [
    ("charset", "application/json; charset=utf-8"),
    ("upper-case", "Application/JSON"),
    ("plus-json", "application/vnd.carecycle+json; charset=utf-8"),
]


@pytest.mark.rule("body.not-json")
@pytest.mark.parametrize("content_type", [pytest.param(c, id=i) for i, c in JSON_MEDIA])
def test_json_media_types_count_as_json(api: Api, content_type: str) -> None:
    body = {"name": api.settings.name_prefix + "media-type"}
    exchange = api.post(body, content_type=content_type)
    expect_campaign(exchange, body, api.memory, "API_KEY", rule="body.not-json")


@pytest.mark.rule("body.wrong-shape")
@pytest.mark.parametrize("raw", [b"[]", b'[{"name": "x"}]', b'"name"', b"42", b"null", b"true"])
def test_wrong_top_level_type_is_422(api: Api, raw: bytes) -> None:
    expect_status(api.post(raw=raw), 422, "body.wrong-shape")


BIG_NUMBERS = [
    ("2^53+1", b"9007199254740993"),
    ("2^64", b"18446744073709551616"),
    ("-2^63", b"-9223372036854775808"),
    ("1e400", b"1e400"),
    ("10^30-fraction", b"1000000000000000000000000000000.5"),
]


@pytest.mark.rule("robustness.no-5xx")
@pytest.mark.parametrize("number", [pytest.param(n, id=i) for i, n in BIG_NUMBERS])
def test_huge_integers_are_422(api: Api, number: bytes) -> None:
    raw = b'{"name": "%s", "maxConcurrentCalls": %s}' % (api.settings.name_prefix.encode(), number)
    exchange = api.post(raw=raw)
    expect_status(exchange, 422, "robustness.no-5xx")
    expect_error_path(exchange, "maxConcurrentCalls", "robustness.no-5xx")


@pytest.mark.rule("robustness.no-5xx")
def test_past_32_bits_is_still_an_integer(api: Api) -> None:
    body = {"name": api.settings.name_prefix + "2^31", "maxConcurrentCalls": 2**31}
    expect_campaign(api.post(body), body, api.memory, "API_KEY", rule="robustness.no-5xx")


@pytest.mark.rule("robustness.no-5xx")
def test_deep_nesting_is_a_4xx(api: Api) -> None:
    depth = 2000  # past common recursion limits, still only 4 KB
    raw = b'{"name": "x", "description": ' + b"[" * depth + b"]" * depth + b"}"
    expect_status(api.post(raw=raw), {400, 422}, "robustness.no-5xx")


@pytest.mark.rule("robustness.no-5xx")
def test_large_name_is_422(api: Api) -> None:
    # Large next to the 255 bound, yet well under common body-size limits (a 413 is no 4xx of
    # the contract, and a limit is no breach of it).
    body = {"name": "x" * 20_000}
    exchange = api.post(body)
    expect_status(exchange, 422, "robustness.no-5xx")
    expect_error_path(exchange, "name", "robustness.no-5xx")
