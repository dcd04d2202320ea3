"""Authentication, tenancy and the order of decisions."""

from __future__ import annotations

import secrets

import pytest

from conformance.api import Api
from conformance.verdict import expect_status

pytestmark = pytest.mark.auth
MALFORMED = b'{"name": '


def valid(api: Api) -> dict:
    return {"name": api.settings.name_prefix + "auth"}


def need(api: Api, *labels: str) -> None:
    missing = [label for label in labels if not getattr(api.settings, label.lower(), None)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.mark.rule("auth.unauthorized")
@pytest.mark.parametrize("how", ["missing", "empty", "without-prefix", "upper-case", "unknown"])
def test_bad_key_is_401(api: Api, how: str) -> None:
    main = api.settings.api_key or ""
    literal = {
        "missing": None,
        "empty": "",
        "without-prefix": main.removeprefix("cc_"),
        # A key is a secret compared byte for byte: its case-folded twin is an unknown key.
        "upper-case": main.upper() if main.upper() != main else main.lower(),
        "unknown": "cc_" + secrets.token_hex(12),
    }
    exchange = api.post(valid(api), key=None, api_key=literal[how])
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


# Each probe breaks two rules at once; the contract's order says which one answers.
ORDER_PROBES = [
    ("no-key+invalid-body", "auth.before-body", None, {"name": ""}, None, 401),
    ("no-key+malformed", "auth.before-body", None, None, MALFORMED, 401),
    ("unknown-key+invalid-body", "auth.before-body", "unknown", {"name": None}, None, 401),
    ("forbidden+invalid-body", "order", "FORBIDDEN_API_KEY", {"name": ""}, None, 403),
    ("not-json+invalid-body", "order", "API_KEY", None, b'{"name": ""}', 400),
    (
        "invalid-body+unknown-template",
        "order",
        "API_KEY",
        {"name": "", "templateId": "no-such-template"},
        None,
        422,
    ),
]


@pytest.mark.parametrize(
    ("rule", "key", "body", "raw", "expected"),
    [pytest.param(*p[1:], id=p[0], marks=pytest.mark.rule(p[1])) for p in ORDER_PROBES],
)
def test_order_of_decisions(
    api: Api, rule: str, key: str | None, body: dict | None, raw: bytes | None, expected: int
) -> None:
    literal = "cc_" + secrets.token_hex(12) if key == "unknown" else None
    if key == "FORBIDDEN_API_KEY":
        need(api, key)
    content_type = "text/plain" if expected == 400 else "application/json"
    kwargs = {"raw": raw} if raw is not None else {"body": body}
    exchange = api.post(
        **kwargs,
        key=None if literal or key is None else key,
        api_key=literal,
        content_type=content_type,
    )
    expect_status(exchange, expected, rule)
