"""Turning an exchange into a verdict, with failure messages a person can act on."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from conformance.document import documented_statuses, request_schema, schema_errors
from conformance.rules import RULES
from conformance.semantic import Observation, RunMemory, now, run_semantic_checks
from conformance.transport import Exchange

ERROR_CODES = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
}


def rule_text(rule: str) -> str:
    if rule in RULES:
        return RULES[rule]
    if rule.startswith("request."):
        prop = request_schema()["properties"].get(rule.removeprefix("request."), {})
        return f"request table, `{rule.removeprefix('request.')}`: {prop.get('description', '')}"
    return rule


def fail(
    rule: str, problems: list[str] | str, exchange: Exchange | None = None, hint: str = ""
) -> NoReturn:
    """Fail the test with the rule quoted, what broke it, the request as curl and the response."""
    lines = [f"[{rule}] {rule_text(rule)}"]
    problems = [problems] if isinstance(problems, str) else problems
    lines += [f"  - {p}" for p in problems]
    if hint:
        lines.append(f"  hint: {hint}")
    if exchange is not None:
        lines.append(exchange.describe())
    pytest.fail("\n".join(lines), pytrace=False)


def conformance_problems(exchange: Exchange) -> list[str]:
    """What breaks `response.documented`: an undocumented status, non-JSON, a body off-schema."""
    if exchange.status not in documented_statuses():
        return [f"status {exchange.status} is not part of the contract"]
    ctype = exchange.response_headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        return [f"content type {ctype or '<none>'!r} is not application/json"]
    body = exchange.json()
    if body is None and exchange.response_body.strip() != b"null":
        return ["body is not JSON"]
    return [f"schema ({exchange.status}): {e}" for e in schema_errors(exchange.status, body)]


INTERNALS = (
    "Traceback (most recent call last)",
    'File "/',
    '.py", line',
    "node_modules/",
    "at java.",
)


def leaked_internals(exchange: Exchange) -> list[str]:
    """robustness.no-5xx: no error body carries a stack trace or internals. (A 201 may echo
    such text: it is what the client sent.)"""
    if exchange.status < 400:
        return []
    text = exchange.response_body.decode("utf-8", "replace")
    return [f"body carries internals: {marker!r}" for marker in INTERNALS if marker in text]


def expect_status(exchange: Exchange, expected: int | set[int], rule: str, hint: str = "") -> None:
    """The status the contract assigns, then a documented, well-formed body for it."""
    wanted = {expected} if isinstance(expected, int) else expected
    leaks = leaked_internals(exchange)
    if leaks:
        fail("robustness.no-5xx", leaks, exchange)
    if exchange.status not in wanted:
        shown = " or ".join(str(s) for s in sorted(wanted))
        fail(rule, f"expected status {shown}, got {exchange.status}", exchange, hint)
    problems = conformance_problems(exchange)
    if problems:
        fail("response.documented", problems, exchange)
    code = ERROR_CODES.get(exchange.status)
    body = exchange.json()
    if code and isinstance(body, dict) and body.get("code") != code:
        fail(
            "response.error-code",
            f"status {exchange.status} carries code {body.get('code')!r}, expected {code!r}",
            exchange,
        )


def expect_error_path(exchange: Exchange, field: str, rule: str) -> None:
    """A 422 for a body with one broken field lists an error whose path starts with that field."""
    body = exchange.json() or {}
    errors = body.get("errors") if isinstance(body, dict) else None
    paths = [e.get("path") for e in errors or [] if isinstance(e, dict)]
    if not any(isinstance(p, list) and p and p[0] == field for p in paths):
        fail(
            "validation.errors", f"no error path starts with {field!r}; paths: {paths!r}", exchange
        )


def expect_campaign(
    exchange: Exchange,
    sent: dict[str, Any],
    memory: RunMemory,
    key_label: str,
    rule: str = "request.accepted-edges",
    hint: str = "",
) -> dict[str, Any]:
    """A 201 whose campaign says what the contract says it must about `sent`."""
    expect_status(exchange, 201, rule, hint)
    campaign = exchange.json()["campaign"]
    obs = Observation(sent=sent, campaign=campaign, key_label=key_label, sent_at=now())
    broken = run_semantic_checks(obs, memory)
    if broken:
        fail(broken[0][0], [f"[{r}] {p}" for r, p in broken], exchange, hint)
    return campaign
