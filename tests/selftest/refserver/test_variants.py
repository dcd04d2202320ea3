"""The legal-variant catalogue: its entries, its CLI, and the body and format variants shown
over real HTTP (one server per variant). Wire, rate-limit and stack variants are in
test_variants_wire.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from refserver import defects, variants

from .test_variants_wire import WIRE_CHECKS
from .variant_client import ROOT, TEMPLATE_A, child_env, objects, post, request, server

Check = Callable[[int], None]
CHECKS: dict[str, Check] = {}
_NAME_ERROR = {"name": ""}


def check(*names: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        for name in names:
            CHECKS[name] = fn
        return fn

    return register


def _campaign(port: int, body: dict | None = None) -> dict:
    reply = post(port, body)
    assert reply.status == 201, reply.body
    return reply.json()["campaign"]


_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)", re.ASCII)
_STAMP_SHAPES = {
    "timestamps_lower_case": r"\d{4}-\d\d-\d\dt\d\d:\d\d:\d\d\.\d{3}z",
    "timestamps_microseconds": r".*T.*\.\d{6}Z",
    "timestamps_nanoseconds": r".*T.*\.\d{9}Z",
    "timestamps_no_fraction": r".*T\d\d:\d\d:\d\dZ",
    "timestamps_plus_zero_offset": r".*T.*\.\d{3}\+00:00",
    "timestamps_other_offset": r".*T.*\.\d{3}\+05:30",
}


def _instant(text: str) -> float:
    """Epoch seconds of an RFC 3339 date-time, any fraction length, any offset."""
    match = _STAMP.fullmatch(text)
    assert match, text
    day, clock, fraction, offset = match.groups()
    offset = "+00:00" if offset in "Zz" else offset
    whole = datetime.fromisoformat(f"{day}T{clock}{offset}").timestamp()
    return whole + float(fraction or 0)


@check(*_STAMP_SHAPES)
def _timestamps(port: int) -> None:
    variant = _current(port)
    campaign = _campaign(port)
    for field in ("createdAt", "updatedAt"):
        assert re.fullmatch(_STAMP_SHAPES[variant], campaign[field]), campaign[field]
        assert abs(_instant(campaign[field]) - time.time()) < 300
    assert campaign["createdAt"] == campaign["updatedAt"]


@check("updated_at_later")
def _updated_later(port: int) -> None:
    campaign = _campaign(port)
    gap = _instant(campaign["updatedAt"]) - _instant(campaign["createdAt"])
    assert 0 < gap < 0.01


@check("campaign_id_uuid7")
def _uuid7(port: int) -> None:
    first, second = (uuid.UUID(_campaign(port)["id"]) for _ in range(2))
    assert first != second
    for value in (first, second):
        assert value.version == 7 and value.variant == uuid.RFC_4122
        assert abs((value.int >> 80) / 1000 - time.time()) < 300  # the unix_ts_ms field


@check("direction_default_inbound")
def _direction(port: int) -> None:
    assert _campaign(port)["direction"] == "inbound"
    assert _campaign(port, {"name": "x", "direction": "outbound"})["direction"] == "outbound"


@check("list_endpoint_get")
def _list(port: int) -> None:
    listed = request(port, "GET")
    assert listed.status == 200 and listed.json() == {"campaigns": []}
    assert post(port).status == 201


@check("post_only_404")
def _post_only(port: int) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        reply = request(port, method)
        assert reply.status == 404 and reply.json()["code"] == "NOT_FOUND", method
        assert reply.header("allow") is None
    assert post(port).status == 201


@check("method_not_allowed_without_allow")
def _no_allow(port: int) -> None:
    for method in ("GET", "PUT", "DELETE"):
        reply = request(port, method)
        assert reply.status == 405 and reply.header("allow") is None, method
    assert post(port).status == 201


@check("extra_properties")
def _extras(port: int) -> None:
    created = post(port, {"name": "x", "templateId": TEMPLATE_A}).json()
    invalid = post(port, _NAME_ERROR).json()
    for body in (created, invalid, request(port, "GET").json()):
        assert all("vendorExtension" in obj for obj in objects(body))
    stats = created["campaign"]["customerStats"]
    assert stats["statusCounts"]["vendorExtension"] == 0 and stats["vendorExtension"] == "extra"
    assert created["campaign"]["features"]["vendorExtension"] is False
    assert created["campaign"]["transferConfig"]["vendorExtension"] == "extra"


@check("nested_nulls")
def _nested_nulls(port: int) -> None:
    campaign = post(port, {"name": "x", "templateId": TEMPLATE_A}).json()["campaign"]
    nulled = [
        (key, value)
        for config in ("transferConfig", "appointmentConfig")
        for obj in objects(campaign[config])
        for key, value in obj.items()
        if key in ("routingConfigId", "description", "createdBy", "updatedBy")
    ]
    assert nulled and all(value is None for _, value in nulled), nulled


@check("error_entries_extra_fields", "errors_without_expected_received", "errors_multiple")
def _error_entries(port: int) -> None:
    variant = _current(port)
    reply = post(port, {"name": 5})
    assert reply.status == 422
    errors = reply.json()["errors"]
    assert any(e["path"][:1] == ["name"] for e in errors)
    if variant == "error_entries_extra_fields":
        assert all({"keyword", "severity", "expected", "received"} <= set(e) for e in errors)
    elif variant == "errors_without_expected_received":
        assert all(set(e) == {"path", "message", "code"} for e in errors)
    else:
        assert len(errors) >= 2 and errors[0]["path"] == []


@check("failed_records_empty")
def _failed_records(port: int) -> None:
    body = post(port, _NAME_ERROR).json()
    assert body["code"] == "VALIDATION_ERROR" and body["failedRecords"] == []


@check("bad_request_other_code")
def _bad_request(port: int) -> None:
    for reply in (
        post(port, raw=b"{not json"),
        post(port, raw=b"{}", headers={"Content-Type": "text/plain"}),
    ):
        assert reply.status == 400 and reply.json()["code"] == "INVALID_REQUEST_BODY"


@check("integers_as_floats")
def _floats(port: int) -> None:
    reply = post(port, {"name": "x", "maxConcurrentCalls": 7})
    text = reply.body.decode()
    for member in ('"maxConcurrentCalls": 7.0', '"total": 0.0', '"maxAttempts": 3.0'):
        assert member in text
    assert not re.search(r":\s*-?\d+[,}\]]", text), "an integer without a fraction is left"


@check("keys_reversed", "keys_sorted")
def _key_order(port: int) -> None:
    variant = _current(port)
    pairs: list[list[str]] = []

    def hook(items: list[tuple[str, object]]) -> dict:
        pairs.append([k for k, _ in items])
        return dict(items)

    json.loads(post(port, {"name": "x", "templateId": TEMPLATE_A}).body, object_pairs_hook=hook)
    campaign_keys = max(pairs, key=len)
    if variant == "keys_sorted":
        assert all(keys == sorted(keys) for keys in pairs)
    else:
        assert campaign_keys[0] == "campaignAutomations" and campaign_keys[-1] == "id"


@check("pretty_printed")
def _pretty(port: int) -> None:
    for reply in (post(port), post(port, _NAME_ERROR)):
        assert reply.body.startswith(b'{\n  "') and reply.body.endswith(b"}\n")
        reply.json()


@check("answers_out_of_order")
def _out_of_order(port: int) -> None:
    waits = []
    for _ in range(6):
        started = time.monotonic()
        assert post(port).status == 201
        waits.append(time.monotonic() - started)
    # Every other answer waits 30 ms: requests sent together come back out of order.
    # Half of them slow is what the variant guarantees and what a loaded machine does not fake.
    assert sum(wait >= 0.03 for wait in waits) >= 3, waits


@check("leading_whitespace")
def _leading(port: int) -> None:
    for reply in (post(port), post(port, _NAME_ERROR)):
        assert reply.body.startswith(b"\r\n \t{")
        reply.json()


@check("raw_utf8_strings")
def _utf8(port: int) -> None:
    name = "Café ✓ 😀"
    reply = post(port, {"name": name})
    assert name.encode() in reply.body and b"\\u" not in reply.body
    lone = post(port, raw=b'{"name": "\\ud800"}')  # no UTF-8 form: sent escaped
    assert lone.status == 201 and lone.json()["campaign"]["name"] == "\ud800"


@check("template_direction_if_omitted")
def _template_direction(port: int) -> None:
    assert _campaign(port, {"name": "x", "templateId": TEMPLATE_A})["direction"] == "inbound"
    sent = {"name": "x", "templateId": TEMPLATE_A, "direction": "outbound"}
    assert _campaign(port, sent)["direction"] == "outbound"
    assert _campaign(port, {"name": "x"})["direction"] == "outbound"  # no template: the default


@check("unicode_escapes_upper_hex")
def _upper_escapes(port: int) -> None:
    name = "e\u0301 \u00e9 😀 \\u00e9"
    reply = post(port, {"name": name})
    assert b"\\u00E9" in reply.body and b"\\uD83D\\uDE00" in reply.body
    assert reply.json()["campaign"]["name"] == name  # every code point kept


_PORTS: dict[int, str] = {}


def _current(port: int) -> str:
    return _PORTS[port]


@pytest.mark.parametrize("variant", sorted(CHECKS))
def test_body_variant(variant: str) -> None:
    with server(variant) as srv:
        _PORTS[srv.port] = variant
        CHECKS[variant](srv.port)
        assert srv.output() == ""


def test_catalogue() -> None:
    names = [v.name for v in variants.CATALOGUE]
    assert len(names) >= 28 and len(names) == len(set(names))
    assert not set(names) & defects.NAMES
    for variant in variants.CATALOGUE:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", variant.name)
        assert variant.source.strip() and variant.description.strip()
        assert variant.stack in (variants.ANY, *variants.STACKS)
    # Every variant is shown by a check here or in the wire module.
    shown = set(CHECKS) | {name.removesuffix("_429") for name in WIRE_CHECKS}
    assert set(names) == shown


def test_every_variant_is_wired() -> None:
    code = "".join(
        p.read_text() for p in Path(ROOT, "refserver").glob("*.py") if p.name != "variants.py"
    )
    assert [n for n in variants.NAMES if f'"{n}"' not in code] == []


def _cli(*args: str, variant: str | None = None, defect: str = "") -> subprocess.CompletedProcess:
    env = child_env(variant, None, 0, 60.0)
    if defect:
        env["REFSERVER_DEFECT"] = defect
    cmd = [sys.executable, "-m", "refserver", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def test_list_variants() -> None:
    listed = json.loads(_cli("--list-variants").stdout)
    assert [v["name"] for v in listed] == [v.name for v in variants.CATALOGUE]
    assert all({"name", "source", "description", "stack"} == set(v) for v in listed)


def test_cli_refusals() -> None:
    unknown = _cli("--variant", "no_such_variant")
    assert unknown.returncode == 2 and "--list-variants" in unknown.stderr
    assert _cli(variant="no_such_variant").returncode == 2
    both = _cli("--variant", "keys_sorted", "--defect", "status_active")
    assert both.returncode == 2 and "choose one" in both.stderr
    assert _cli(variant="keys_sorted", defect="status_active").returncode == 2
    stack = _cli("--variant", "header_names_title_case", "--stack", "uvicorn")
    assert stack.returncode == 2 and "stdlib stack only" in stack.stderr
    assert _cli("--stack", "gunicorn").returncode == 2


def test_checks_fail_on_the_default_server() -> None:
    # A check that passes without its variant would show nothing about the variant.
    with server() as srv:
        for name, fn in CHECKS.items():
            _PORTS[srv.port] = name
            with pytest.raises((AssertionError, KeyError)):
                fn(srv.port)
