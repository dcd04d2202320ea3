"""Turning an exchange into a verdict: findings that quote the rule and say what broke it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from conformance.checks.registry import check
from conformance.checks.semantic import (
    SEMANTIC_RULES,
    Observation,
    RunMemory,
    now,
    run_semantic_checks,
)
from conformance.contract.document import documented_statuses, schema_errors, target_operation
from conformance.run.findings import ConformanceFailure, Finding
from conformance.wire.exchange import Exchange
from conformance.wire.redact import visible
from conformance.wire.semantics import is_json_media

ERROR_CODES: Mapping[int, str] = MappingProxyType(
    {
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        422: "VALIDATION_ERROR",
        429: "RATE_LIMIT_EXCEEDED",
        500: "INTERNAL_ERROR",
    }
)


def fail(
    rule: str, problems: Iterable[str] | str, exchange: Exchange | None = None, hint: str = ""
) -> NoReturn:
    """Raise one finding: the rule, what broke it, the exchange."""
    what = (problems,) if isinstance(problems, str) else tuple(problems)
    raise ConformanceFailure([Finding(rule, what, exchange, hint)])


def undocumented_status(exchange: Exchange) -> list[str]:
    if exchange.status in documented_statuses():
        return []
    if 300 <= exchange.status < 400:
        where = visible(exchange.header("location") or "<no Location>")  # the target's text
        return [
            f"redirect {exchange.status} to {where}: no redirect is in the contract (not followed)"
        ]
    return [f"status {exchange.status} is not part of the contract"]


@check("response.documented")
def conformance_problems(exchange: Exchange) -> list[str]:
    """What breaks `response.documented`: an undocumented status, non-JSON, a body off-schema."""
    problems = undocumented_status(exchange)
    if problems:
        return problems
    ctype = exchange.header("content-type")
    if not is_json_media(ctype):
        return [f"content type {ctype or '<none>'!r} is not application/json"]
    if exchange.not_json:
        return [exchange.not_json]
    return [
        f"schema ({exchange.status}): {e}" for e in schema_errors(exchange.status, exchange.json())
    ]


# Byte order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)


def encoding_seen(raw: bytes) -> str:
    """What a body that is not plain UTF-8 JSON looks like: its byte order mark, or the NUL
    bytes of a UTF-16 or UTF-32 text (JSON never holds a raw NUL: control characters are
    escaped), or where its UTF-8 breaks; "" when it is UTF-8 without a mark."""
    for mark, name in BOMS:
        if raw.startswith(mark):
            return f"a {name} byte order mark"
    head = raw[:64]
    if head and b"\x00" in head:
        if head[:4].count(b"\x00") == 3:
            return "NUL bytes in a pattern of UTF-32"
        even, odd = head[0::2].count(0), head[1::2].count(0)
        return "NUL bytes in a pattern of UTF-16 " + ("BE" if even > odd else "LE")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"bytes that are not UTF-8 (at byte {exc.start})"
    return ""


@check("response.utf-8")
def encoding_problems(exchange: Exchange) -> list[str]:
    """response.utf-8: RFC 8259 §8.1: JSON between systems "MUST be encoded using UTF-8", and
    implementations "MUST NOT add a byte order mark"."""
    seen = encoding_seen(exchange.response_body)
    return [f"the body is not UTF-8 JSON: it starts with {seen}"] if seen else []


INTERNALS = (
    "Traceback (most recent call last)",
    'File "/',
    '.py", line',
    "node_modules/",
    "at java.",
)


@check("robustness.no-5xx")
def leaked_internals(exchange: Exchange) -> list[str]:
    """robustness.no-5xx: no error body carries a stack trace or internals. (A 201 may echo
    such text: it is what the client sent.)"""
    if exchange.status < 400:
        return []
    text = exchange.response_body[:200_000].decode("utf-8", "replace")
    return [f"body carries internals: {marker!r}" for marker in INTERNALS if marker in text]


@check("response.error-code")
def error_code_problems(exchange: Exchange) -> list[str]:
    """response.error-code: the code of the status (400: any non-empty code)."""
    body = exchange.json()
    if exchange.status < 400 or not isinstance(body, dict):
        return []
    code = body.get("code")
    wanted = ERROR_CODES.get(exchange.status)
    if wanted is None:
        ok = isinstance(code, str) and code != ""
        return (
            []
            if ok
            else [f"status {exchange.status} carries code {code!r}, expected a non-empty code"]
        )
    return (
        []
        if code == wanted
        else [f"status {exchange.status} carries code {code!r}, expected {wanted!r}"]
    )


def expect_status(exchange: Exchange, expected: int | set[int], rule: str, hint: str = "") -> None:
    """The status the contract assigns, then the error code of that status, then a documented,
    well-formed body. A fault (5xx) or an undocumented status is its own rule's finding, whatever
    the case expected: one defect, one rule."""
    wanted = {expected} if isinstance(expected, int) else expected
    exchange.judge(
        "robustness.no-5xx", "response.documented", "response.error-code", "response.utf-8"
    )
    leaks = leaked_internals(exchange)
    if leaks:
        fail("robustness.no-5xx", leaks, exchange)
    if exchange.status >= 500 and exchange.status not in wanted:
        fail(
            "robustness.no-5xx",
            f"expected status {_shown(wanted)}, got {exchange.status}",
            exchange,
        )
    undocumented = undocumented_status(exchange)
    if undocumented:
        fail("response.documented", undocumented, exchange)
    if exchange.status not in wanted:
        fail(rule, f"expected status {_shown(wanted)}, got {exchange.status}", exchange, hint)
    exchange.judge(rule)  # the case's own rule held, whatever the checks after it find
    expect_utf8(exchange)
    codes = error_code_problems(exchange)
    if codes:
        fail("response.error-code", codes, exchange)
    problems = conformance_problems(exchange)
    if problems:
        fail("response.documented", problems, exchange)


UTF8_HINT = (
    "a body encoded as UTF-16 or UTF-32, or with a byte order mark, is read by few JSON "
    "clients; encode JSON as UTF-8 without a BOM"
)


def expect_utf8(exchange: Exchange) -> None:
    """Before a check reads a body of its own: a body that is not UTF-8 is that rule's."""
    exchange.judge(encoding_problems.rule)
    if encoding := encoding_problems(exchange):
        fail(encoding_problems.rule, encoding, exchange, UTF8_HINT)


def _shown(wanted: set[int]) -> str:
    return " or ".join(str(s) for s in sorted(wanted))


@check("validation.errors")
def error_path_problems(exchange: Exchange, field: str) -> list[str]:
    """validation.errors: a 422 for a body with one broken field lists an error whose `path`
    starts with that field."""
    body = exchange.json() or {}
    errors = body.get("errors") if isinstance(body, dict) else None
    paths = [e.get("path") for e in errors or [] if isinstance(e, dict)]
    if any(isinstance(p, list) and p and p[0] == field for p in paths):
        return []
    return [f"no error path starts with {field!r}; paths: {paths!r}"]


def expect_error_path(exchange: Exchange, field: str, rule: str) -> None:
    """The error paths of a 422 for a body with one broken field (`rule` is the case's own)."""
    exchange.judge(error_path_problems.rule)
    problems = error_path_problems(exchange, field)
    if problems:
        fail(error_path_problems.rule, problems, exchange)


def semantic_findings(
    sent: dict[str, Any],
    campaign: dict[str, Any],
    memory: RunMemory,
    key_label: str,
    exchange: Exchange | None,
) -> list[Finding]:
    """One finding per broken semantic rule, with every problem of that rule."""
    obs = Observation(sent=sent, campaign=campaign, key_label=key_label, sent_at=now())
    grouped: dict[str, list[str]] = {}
    if exchange is not None:
        exchange.judge(*SEMANTIC_RULES)
    for rule, problem in run_semantic_checks(obs, memory):
        grouped.setdefault(rule, []).append(problem)
    return [Finding(rule, tuple(problems), exchange) for rule, problems in grouped.items()]


def expect_campaign(
    exchange: Exchange,
    sent: dict[str, Any],
    memory: RunMemory,
    key_label: str,
    rule: str = "request.accepted-edges",
    hint: str = "",
) -> dict[str, Any]:
    """A 201 whose campaign says what the contract says it must about `sent`."""
    operation = target_operation()
    expect_status(exchange, operation.success, rule, hint)
    campaign = operation.created(exchange.status, exchange.json())
    assert campaign is not None  # the documented success body holds it (checked just above)
    findings = semantic_findings(sent, campaign, memory, key_label, exchange)
    if findings:
        raise ConformanceFailure(findings)
    return campaign


# The response checks every status verdict applies (the semantic ones apply to every 201).
RESPONSE_CHECKS = (leaked_internals, error_code_problems, encoding_problems, conformance_problems)
# The check of a 422's error paths, for a body with one broken field.
ERROR_CHECKS = (error_path_problems,)
