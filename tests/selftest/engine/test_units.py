"""Fast, in-process unit tests of the suite's pure helpers: no server, no network."""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator, ValidationError, validators

from conformance.checks import semantic
from conformance.checks.context import CheckContext, RunMemory, now
from conformance.checks.registry import Stage, judge, registered
from conformance.checks.response import leaked_internals
from conformance.contract import matrix
from conformance.contract.document import request_schema
from conformance.contract.matrix import MatrixCase, build_matrix, ecma_pattern
from conformance.contract.shapes import SHAPES, shaped
from conformance.settings import ConfigError, Settings
from conformance.wire.budget import MAX_RETRY_AFTER, retry_after
from conformance.wire.exchange import Exchange
from conformance.wire.redact import MASK, curl_line, redact, redact_headers
from conformance.wire.semantics import same_json

KEY = "cc_live_0123456789abcdef"
PREFIX = "cct-unit-"
UUID_OK = "123e4567-e89b-42d3-a456-426614174000"
ID_A, ID_B = "497f6eca-6276-4993-bfeb-53cbbbba6f08", "6cbf4411-f62a-452f-b47e-a87913280a83"


# --- redact -------------------------------------------------------------------------------------
def test_redact_masks_longest_first_and_every_occurrence() -> None:
    text = f"{KEY}-extra {KEY} cc_live_0123 tail"
    out = redact(text, ["cc_live_0123", KEY + "-extra", "", KEY])
    assert out == f"{MASK} {MASK} {MASK} tail"
    assert "cc_live" not in out


def test_redact_headers_is_case_insensitive() -> None:
    out = redact_headers({"X-API-Key": KEY, "x-api-key": KEY, "Content-Type": "application/json"})
    assert out == {"X-API-Key": MASK, "x-api-key": MASK, "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body", ['{"name": "it\'s $HOME `id` \\"q\\" ; rm -rf / &&\\n"}', b'{"name": "\xc3\xa9 $(x)"}']
)
def test_curl_line_hides_key_and_round_trips(body: str | bytes) -> None:
    url = "https://example.test/v2/campaigns?a=1&b=$x"
    line = curl_line("post", url, {"X-Api-Key": KEY, "Content-Type": "application/json"}, body)
    assert KEY not in line
    text = body.decode() if isinstance(body, bytes) else body
    assert shlex.split(line) == [
        *("curl", "-X", "POST", url, "-H", f"X-Api-Key: {MASK}"),
        *("-H", "Content-Type: application/json", "--data-binary", text),
    ]


# --- settings -----------------------------------------------------------------------------------
def test_base_url_without_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="API_KEY"):
        Settings.from_env({"BASE_URL": "https://staging.example.test"})


@pytest.mark.parametrize("url", ["ftp://example.test", "localhost:8000", "http://", "example.test"])
def test_non_http_base_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        Settings.from_env({"BASE_URL": url, "API_KEY": KEY})


@pytest.mark.parametrize(
    ("name", "raw"),
    [("MAX_REQUESTS", "ten"), ("SEED", "-1"), ("RATE_LIMIT", "1.5"), ("MAX_TIME", "-1")],
)
def test_bad_numbers_name_their_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: raw})


def test_defaults_and_secrets() -> None:
    plain = Settings.from_env({})
    assert plain.needs_target and plain.seed == 0 and plain.secrets() == []
    given = Settings.from_env(
        {"BASE_URL": "https://x.test/", "API_KEY": f" {KEY} ", "OTHER_API_KEY": "cc_other"}
    )
    assert not given.needs_target and given.base_url == "https://x.test"
    assert given.secrets() == [KEY, "cc_other"]


def test_derandomize_false_in_any_case_is_false() -> None:
    assert Settings.from_env({"DERANDOMIZE": "False"}).derandomize is False


# --- matrix -------------------------------------------------------------------------------------
def test_ecma_pattern_rejects_trailing_newline() -> None:
    pattern = request_schema()["properties"]["primaryRoutingConfigId"]["pattern"]
    assert ecma_pattern(pattern).search(UUID_OK)
    assert ecma_pattern(pattern).search(UUID_OK + "\n") is None
    assert ecma_pattern("^a$").search("a\n") is None


def test_ecma_pattern_keeps_dollar_in_a_character_class() -> None:
    assert ecma_pattern(r"^[$a-z]+$").search("a$b")


def _ecma_pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if isinstance(instance, str) and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


STRICT = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern_keyword})


def broken_fields(body: dict[str, Any]) -> set[str]:
    """The fields of `body` the request schema rejects, by ECMA-262 pattern semantics."""
    out: set[str] = set()
    for error in STRICT(request_schema()).iter_errors(body):
        path = list(error.absolute_path)
        out.add(str(path[0]) if path else "name" if error.validator == "required" else "<root>")
    return out


def find(cases: list[MatrixCase], field: str, match: Callable[[Any], bool]) -> list[MatrixCase]:
    return [c for c in cases if field in c.body and match(c.body[field])]


def expects(cases: list[MatrixCase], field: str, match: Callable[[Any], bool]) -> set[int]:
    found = find(cases, field, match)
    assert found, f"no case with such a {field}"
    return {c.expect for c in found}


def test_matrix_edges_of_name_and_max_concurrent_calls() -> None:
    cases = build_matrix(PREFIX)
    for n, want in ((0, 422), (1, 201), (255, 201), (256, 422)):
        assert expects(cases, "name", lambda v, n=n: isinstance(v, str) and len(v) == n) == {want}
    mcc = "maxConcurrentCalls"
    for value, want in ((0, 422), (2**53, 422), (1, 201), (2**53 - 1, 201)):
        assert expects(cases, mcc, lambda v, x=value: type(v) is int and v == x) == {want}
    assert expects(cases, mcc, lambda v: type(v) is float and v == 1.0) == {201}
    for odd in (1.5, "1", True):
        assert expects(cases, mcc, lambda v, x=odd: type(v) is type(x) and v == x) == {422}


def test_matrix_uuid_edges() -> None:
    cases = build_matrix(PREFIX)
    field = "primaryRoutingConfigId"
    for pos, char in ((14, "0"), (14, "9"), (19, "7"), (19, "c")):
        bad = UUID_OK[:pos] + char + UUID_OK[pos + 1 :]
        assert expects(cases, field, lambda v, b=bad: v == b) == {422}
    for good in ("0" * 8 + "-0000" * 3 + "-" + "0" * 12, "f" * 8 + "-ffff" * 3 + "-" + "f" * 12):
        assert expects(cases, field, lambda v, g=good: v == g) == {201}


def test_matrix_cases_break_exactly_one_field_and_fit_the_budget() -> None:
    cases = build_matrix(PREFIX)
    assert len(cases) <= 60
    for case in cases:
        if case.expect == 422:
            assert case.broken and broken_fields(case.body) == {case.broken}, case.id
        elif case.expect == 201:
            assert case.broken is None and broken_fields(case.body) == set(), case.id


def test_matrix_has_every_value_shape_on_both_sides_of_the_name_limit() -> None:
    cases = build_matrix(PREFIX)
    for shape in SHAPES:
        for n, want in ((255, 201), (256, 422)):
            value = shaped(shape.key, PREFIX + "x", n)
            found = [c for c in cases if c.body.get("name") == value]
            assert [c.expect for c in found] == [want], (shape.key, n)
            assert any(shape.label in note for note in found[0].notes), (shape.key, n)


def test_matrix_non_bmp_name_is_accepted_alone_with_a_utf16_hint() -> None:
    astral = find(build_matrix(PREFIX), "name", lambda v: isinstance(v, str) and "😀" in v)
    assert [(len(c.body["name"]), c.expect, set(c.body)) for c in astral] == [
        (255, 201, {"name"}),
        (256, 422, {"name"}),
    ]
    assert "UTF-16" in astral[0].hint and "4-byte" in astral[0].hint


def test_matrix_follows_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = copy.deepcopy(request_schema())
    schema["properties"]["name"]["maxLength"] = 100
    monkeypatch.setattr(matrix, "request_schema", lambda: schema)
    cases = build_matrix(PREFIX)
    named = lambda n: lambda v: isinstance(v, str) and len(v) == n  # noqa: E731
    assert expects(cases, "name", named(100)) == {201}
    assert expects(cases, "name", named(101)) == {422}
    assert not find(cases, "name", named(255)) and not find(cases, "name", named(256))


# --- semantic -----------------------------------------------------------------------------------
def good_campaign(**changes: Any) -> dict[str, Any]:
    """A 201 campaign for SENT, minimal but enough for every semantic check."""
    stamp = now().isoformat()
    nulls = ("description", "templateId", "templateName", "maxConcurrentCalls")
    campaign: dict[str, Any] = dict.fromkeys(nulls)
    campaign |= {"status": "draft", "id": ID_A, "name": SENT["name"], "kind": "voice_ai"}
    campaign |= {"direction": "outbound", "createdAt": stamp, "updatedAt": stamp, "tags": []}
    campaign["client"] = {"id": "5e505642-9024-474d-9434-e5a44f505cc5"}
    campaign["customerStats"] = {"total": 0, "statusCounts": {"failed": 0, "pending": 0}}
    return {**campaign, **changes}


SENT: dict[str, Any] = {"name": "cct-unit-x"}


SEMANTIC = [c for c in registered() if c.stage is Stage.SEMANTIC]


def created_by(campaign: dict[str, Any]) -> Exchange:
    """A 201 holding `campaign`, for a request that sent SENT."""
    body = json.dumps({"campaign": campaign}).encode()
    headers = requests.structures.CaseInsensitiveDict({"content-type": "application/json"})
    return Exchange(
        "POST", "http://x.test", {"x-api-key": "***"}, json.dumps(SENT).encode(), 201,
        headers, body, 0.01, sent_at=now().timestamp(),
    )  # fmt: skip


def problems_of(check: Any, campaign: dict[str, Any], memory: RunMemory) -> list[str]:
    exchange = created_by(campaign)
    result: list[str] = check(CheckContext.of(exchange, memory), exchange)
    return result


@pytest.mark.parametrize("check", SEMANTIC, ids=lambda c: c.name)
def test_semantic_check_passes_good_and_flags_its_own_counterexample(check: Any) -> None:
    """Each semantic check registers a change that breaks its rule (`broken_by`)."""
    assert check.broken_by, f"{check.name} registers no counterexample"
    memory = RunMemory()
    assert problems_of(check, good_campaign(), memory) == []
    bad = good_campaign(**{"id": ID_B, **check.broken_by})
    assert problems_of(check, bad, memory), f"{check.name} missed {dict(check.broken_by)}"


def test_same_treats_integral_floats_as_integers_but_not_booleans() -> None:
    same = same_json
    assert same(1.0, 1) and same(1, 1.0) and same(None, None)
    assert not same(True, 1) and not same(1, True) and not same("1", 1)


def test_id_reuse_across_calls_is_flagged_and_a_concurrent_one_named() -> None:
    memory = RunMemory()
    first = created_by(good_campaign())
    assert semantic.id_is_fresh_uuid(CheckContext.of(first, memory), first) == []
    # Sent while the first was on the wire: a race in the target's ids.
    together = replace(created_by(good_campaign(name="other")), sent_at=first.sent_at + 0.001)
    later = replace(together, sent_at=first.sent_at + 5)
    assert semantic.id_is_fresh_uuid(CheckContext.of(together, memory), together) == [
        f"one id {ID_A} returned for 2 concurrent creations"
    ]
    assert semantic.id_is_fresh_uuid(CheckContext.of(later, memory), later) == [
        f"id {ID_A} was already returned by an earlier call of this run"
    ]


def test_judging_stops_at_the_first_stage_that_finds_a_problem() -> None:
    """One defect, one rule: a campaign off-schema is response.documented's, and its semantic
    checks are not judged; a documented one with a bad status is semantic.draft's alone."""
    memory = RunMemory()
    exchange = created_by(good_campaign(status="active"))
    judged: list[str] = []
    findings = judge(
        CheckContext.of(exchange, memory), exchange, judged=lambda e, r: judged.extend(r)
    )
    assert {f.rule for f in findings} >= {"response.documented"}
    assert "semantic.draft" not in judged


# --- transport and verdict ----------------------------------------------------------------------
def response_429(body: bytes = b"", header: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = 429, body
    if header is not None:
        response.headers["Retry-After"] = header
    return response


@pytest.mark.parametrize(
    ("body", "header", "seconds"),
    [
        (b"", None, 1.0),
        (b"not json", "3", 3.0),
        (b"", "99999", MAX_RETRY_AFTER),
        (b'{"retryAfter": 100000}', None, MAX_RETRY_AFTER),
        (b'{"retryAfter": 7}', "30", 7.0),
        (b'{"retryAfter": -5}', None, 0.5),
    ],
)
def test_retry_after_bounds(body: bytes, header: str | None, seconds: float) -> None:
    assert retry_after(response_429(body, header)) == seconds


def test_retry_after_nan_is_bounded() -> None:
    assert 0.5 <= retry_after(response_429(b"", "nan")) <= MAX_RETRY_AFTER


def test_leaked_internals_finds_a_python_traceback() -> None:
    trace = b'Traceback (most recent call last):\n  File "/app/server.py", line 12, in create\n'
    exchange = Exchange("POST", "http://x.test", {}, b"{}", 500, {}, trace, 0.01)
    ctx = CheckContext.of(exchange, RunMemory())
    assert leaked_internals(ctx, exchange)
    clean = Exchange("POST", "http://x.test", {}, b"{}", 500, {}, b'{"code":"INTERNAL_ERROR"}', 0.0)
    assert leaked_internals(CheckContext.of(clean, RunMemory()), clean) == []
