"""Smoke tests of the embedded reference server, started for real as a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.contract.rules import rules
from tests.selftest.refserver.variant_client import running

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT.parent / "shared" / "seed" / "create-campaign.txt"
KEY_A, KEY_RO, KEY_B = "cc_ref_client_a", "cc_ref_readonly_a", "cc_ref_client_b"
TEMPLATE_A = "7d9c1f4e-2b3a-4c5d-8e6f-1a2b3c4d5e6f"
TEMPLATE_B = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_TOP_LEVEL = """
    id createdAt updatedAt startDate endDate dialAfterhours name templateId templateName
    lastModifiedByName lastModifiedByIsStaff description tags status direction pulseWorkflowId
    maxConcurrentCalls suite kind behaviorsEngineEnabled primaryHandlerKind primaryRoutingConfigId
    primaryAssistantId primaryTerminalType primaryTerminalNumber afterHoursHandlerKind
    afterHoursRoutingConfigId afterHoursAssistantId afterHoursTerminalType afterHoursTerminalNumber
    maxAttempts smsCompanyName requiredVars client hasInquiryCallback customerStats features
    transferConfig transferConfigIds callFormId appointmentConfig campaignAutomations
"""
TOP_LEVEL = set(_TOP_LEVEL.split())
ENV = {k: v for k, v in os.environ.items() if not k.startswith("REFSERVER_")}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "refserver", *args]
    return subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def _server(*args: str) -> Iterator[tuple[str, Any]]:
    with running(list(args), ENV) as (port, log):
        yield f"http://127.0.0.1:{port}", log


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with _server() as (url, _):
        yield url


def _post(
    url: str,
    body: Any = None,
    *,
    key: str | None = KEY_A,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> httpx.Response:
    headers = {"content-type": content_type}
    if key is not None:
        headers["x-api-key"] = key
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(f"{url}/v2/campaigns", content=content, headers=headers, timeout=10)


def _missing_keys(example: Any, actual: Any, path: str = "$") -> list[str]:
    """Paths of the seed example that the actual object lacks (free-form maps skipped)."""
    if isinstance(example, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}" for k in example if k not in actual]
        for key, value in example.items():
            if key in actual and key not in ("headers", "body"):
                out += _missing_keys(value, actual[key], f"{path}.{key}")
        return out
    if isinstance(example, list) and example and isinstance(actual, list):
        if not actual:
            return [f"{path}[] is empty"]
        return [m for x in actual for m in _missing_keys(example[0], x, f"{path}[]")]
    return []


def _seed_example() -> dict[str, Any]:
    if not SEED.exists():
        pytest.skip(f"seed page not found at {SEED}")
    text = SEED.read_text()
    start = text.index('{\n"campaign"')
    return json.JSONDecoder().raw_decode(text, start)[0]


def test_plain_campaign(base_url: str) -> None:
    first, second = _post(base_url, {"name": "Spring recall"}), _post(base_url, {"name": "b"})
    other = _post(base_url, {"name": "c"}, key=KEY_B)
    assert [r.status_code for r in (first, second, other)] == [201, 201, 201]
    assert first.headers["content-type"].startswith("application/json")
    c1, c2, c3 = (r.json()["campaign"] for r in (first, second, other))
    assert set(c1) >= TOP_LEVEL
    assert (c1["status"], c1["kind"], c1["name"]) == ("draft", "voice_ai", "Spring recall")
    assert c1["direction"] in ("inbound", "outbound")
    assert UUID_RE.fullmatch(c1["id"]) and c1["id"] != c2["id"]
    assert c1["createdAt"] == c1["updatedAt"] and c1["createdAt"].endswith("Z")
    assert c1["client"]["id"] == c2["client"]["id"] != c3["client"]["id"]
    assert c1["tags"] == [] and c1["templateName"] is None
    assert c1["transferConfig"] is c1["appointmentConfig"] is c1["callFormId"] is None
    stats = c1["customerStats"]
    assert not any(stats.pop("statusCounts").values()) and not any(stats.values())


def test_full_echo(base_url: str) -> None:
    sent = {"name": " x ", "description": "d", "maxConcurrentCalls": 3.0, "kind": "agent_first"}
    sent |= {"direction": "inbound", "primaryHandlerKind": "ai", "primaryAssistantId": "p"}
    sent |= {"afterHoursRoutingConfigId": "00000000-0000-0000-0000-000000000000"}
    sent |= {"afterHoursTerminalType": "forward", "unknownField": [1, 2]}
    response = _post(base_url, sent)
    assert response.status_code == 201, response.text
    campaign = response.json()["campaign"]
    for field, value in sent.items():
        if field != "unknownField":
            assert campaign[field] == value, field
    assert isinstance(campaign["maxConcurrentCalls"], int)
    assert campaign["afterHoursAssistantId"] is None


def test_template_campaign_has_full_configs(base_url: str) -> None:
    response = _post(base_url, {"name": "From template", "templateId": TEMPLATE_A})
    assert response.status_code == 201, response.text
    campaign = response.json()["campaign"]
    assert campaign["templateId"] == TEMPLATE_A and campaign["templateName"]
    routing = campaign["transferConfig"]["routingConfig"]
    assert all(a["member"]["user"]["email"] for a in routing["agents"])
    assert routing["groups"] and all(g["agents"] for g in routing["groups"])
    appointment = campaign["appointmentConfig"]
    assert appointment["workflows"][0]["trigger"] and appointment["workflows"][0]["action"]
    for hours in appointment["bookingHours"]:
        assert 0 <= hours["startHour"] <= 23 and 0 <= hours["endHour"] <= 24
        assert all(0 <= day <= 6 for day in hours["dayOfWeek"])
    assert _missing_keys(_seed_example(), response.json()) == []


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"key": None}, 401, "UNAUTHORIZED"),
        ({"key": "ref_client_a"}, 401, "UNAUTHORIZED"),
        ({"key": "cc_not_a_key"}, 401, "UNAUTHORIZED"),
        ({"key": KEY_RO}, 403, "FORBIDDEN"),
        ({"body": {"name": "x", "templateId": TEMPLATE_B}}, 404, "NOT_FOUND"),
        ({"body": {"name": "x", "templateId": "not-a-uuid"}}, 404, "NOT_FOUND"),
        ({"body": {"name": ""}}, 422, "VALIDATION_ERROR"),
        ({"body": {"name": "x", "maxConcurrentCalls": 1.5}}, 422, "VALIDATION_ERROR"),
        ({"body": {"name": "x", "primaryRoutingConfigId": f"{TEMPLATE_A}\n"}}, 422, None),
        ({"raw": b"[1, 2]"}, 422, "VALIDATION_ERROR"),
        ({"raw": b'{"name": "x",'}, 400, None),
        ({"raw": b'{"name": NaN}'}, 400, None),
        ({"raw": b""}, 400, None),
        ({"raw": b'{"name": "\xff"}'}, 400, None),
        ({"content_type": "text/plain"}, 400, None),
    ],
)
def test_error_responses(
    base_url: str, kwargs: dict[str, Any], status: int, code: str | None
) -> None:
    kwargs.setdefault("body", {"name": "x"})
    response = _post(base_url, kwargs.pop("body"), **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["message"] and body["code"] == (code or body["code"])
    if status == 422:
        assert body["errors"] and all(isinstance(e["path"], list) for e in body["errors"])


def test_error_paths_and_deep_nesting(base_url: str) -> None:
    for depth in (100, 100_000):
        response = _post(base_url, raw=b"[" * depth + b"]" * depth)
        assert response.status_code in (400, 422) and response.json()["code"]
    assert _post(base_url, raw=b"[]").json()["errors"][0]["path"] == []
    errors = _post(base_url, {"name": "x", "kind": "robot"}).json()["errors"]
    assert errors[0]["path"][0] == "kind"


def test_order_of_decisions(base_url: str) -> None:
    assert _post(base_url, raw=b"{oops", key=None).status_code == 401
    assert _post(base_url, raw=b"{oops", key=KEY_RO).status_code == 403
    assert _post(base_url, raw=b"{oops", content_type="text/plain").status_code == 400
    assert _post(base_url, {"name": "", "templateId": "nope"}).status_code == 422
    merge = _post(base_url, {"name": "x"}, content_type="application/merge-patch+json")
    assert merge.status_code == 201


def test_list_defects() -> None:
    result = _cli("--list-defects")
    assert result.returncode == 0, result.stderr
    catalogue = json.loads(result.stdout)
    names = [d["name"] for d in catalogue]
    assert len(set(names)) == len(names) >= 45
    for defect in catalogue:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", defect["name"])
        assert defect["rules"] and defect["description"]
        # One vocabulary: every defect names rules the suite knows (openapi/rules.yaml).
        assert set(defect["rules"]) <= set(rules()), defect
        # The depth the mutation check runs it at; the nightly only for what a gate cannot see.
        assert defect["depth"] in ("gate", "nightly"), defect
        assert defect["depth"] == "gate" or defect["group"] == "conditional", defect
    conditional = [d for d in catalogue if d["group"] == "conditional"]
    assert {d["depth"] for d in conditional} == {"gate", "nightly"}


def test_every_defect_is_wired() -> None:
    from refserver import variants
    from refserver.defects import NAMES

    source = "".join(p.read_text() for p in (ROOT / "refserver").glob("*.py"))
    # Variants are consulted through an active() of their own (test_variants.py covers them).
    found = set(re.findall(r'active\("([a-z0-9_]+)"\)', source)) - variants.NAMES
    assert found == NAMES


def test_cli_refusals() -> None:
    unknown = _cli("--defect", "no_such_defect")
    assert unknown.returncode == 2 and "--list-defects" in unknown.stderr
    public = _cli("--host", "0.0.0.0", "--port", "1")
    assert public.returncode == 2 and "loopback" in public.stderr


def test_defect_switch() -> None:
    with _server("--defect", "status_active") as (url, _):
        assert _post(url, {"name": "x"}).json()["campaign"]["status"] == "active"


def test_rate_limit_per_key() -> None:
    with _server("--rate-limit", "3") as (url, log):
        assert _post(url, {"name": "x"}, key=None).status_code == 401  # not counted
        statuses = [_post(url, {"name": n}).status_code for n in ("a", "", "b")]
        assert statuses == [201, 422, 201]
        limited = _post(url, {"name": "x"})
        assert limited.status_code == 429
        body = limited.json()
        assert body["code"] == "RATE_LIMIT_EXCEEDED" and isinstance(body["retryAfter"], int)
        assert limited.headers["retry-after"] == str(body["retryAfter"])
        assert _post(url, {"name": "x"}, key=KEY_B).status_code == 201
        log.seek(0)
        assert KEY_A not in log.read()
