"""Checks every response meets, and the case's own expectation: no fault or internals, a
documented status, the status the case's rule allows, UTF-8 JSON, the status's error code, the
documented body, and a 422's error paths. Each docstring quotes its rule."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from conformance.checks.context import CheckContext
from conformance.checks.registry import CASE_RULE, Problems, Stage, check
from conformance.contract.document import documented_statuses, schema_errors
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
INTERNALS = (
    "Traceback (most recent call last)",
    'File "/',
    '.py", line',
    "node_modules/",
    "at java.",
)
# Byte order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)
UTF8_HINT = (
    "a body encoded as UTF-16 or UTF-32, or with a byte order mark, is read by few JSON "
    "clients; encode JSON as UTF-8 without a BOM"
)


def _expected(ctx: CheckContext) -> frozenset[int]:
    return ctx.expect.statuses if ctx.expect is not None else frozenset()


def _shown(wanted: frozenset[int]) -> str:
    return " or ".join(str(s) for s in sorted(wanted))


@check("robustness.no-5xx", stage=Stage.FAULT)
def leaked_internals(ctx: CheckContext, exchange: Exchange) -> Problems:
    """robustness.no-5xx: no error body carries a stack trace or internals. (A 201 may echo
    such text: it is what the client sent.)"""
    if exchange.status < 400:
        return []
    text = exchange.response_body[:200_000].decode("utf-8", "replace")
    return [f"body carries internals: {marker!r}" for marker in INTERNALS if marker in text]


@check("robustness.no-5xx", stage=Stage.FAULT, when=lambda ctx, ex: ctx.expect is not None)
def no_server_fault(ctx: CheckContext, exchange: Exchange) -> Problems:
    """robustness.no-5xx: "A client's input never causes a server fault" (unless the case
    itself expects one)."""
    wanted = _expected(ctx)
    if exchange.status >= 500 and exchange.status not in wanted:
        return [f"expected status {_shown(wanted)}, got {exchange.status}"]
    return []


@check("response.documented", stage=Stage.STATUS)
def undocumented_status(ctx: CheckContext, exchange: Exchange) -> Problems:
    """response.documented: "No other status is part of the contract (a redirect included)"."""
    if exchange.status in documented_statuses():
        return []
    if 300 <= exchange.status < 400:
        where = visible(exchange.header("location") or "<no Location>")  # the target's text
        return [
            f"redirect {exchange.status} to {where}: no redirect is in the contract (not followed)"
        ]
    return [f"status {exchange.status} is not part of the contract"]


@check(CASE_RULE, stage=Stage.EXPECTED, when=lambda ctx, ex: ctx.expect is not None)
def status_as_expected(ctx: CheckContext, exchange: Exchange) -> Problems:
    """The case's own rule: the status the contract assigns to what was sent."""
    wanted = _expected(ctx)
    if exchange.status in wanted:
        return []
    return [f"expected status {_shown(wanted)}, got {exchange.status}"]


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


@check("response.utf-8", stage=Stage.ENCODING, hint=UTF8_HINT)
def encoding_problems(ctx: CheckContext, exchange: Exchange) -> Problems:
    """response.utf-8: RFC 8259 §8.1: JSON between systems "MUST be encoded using UTF-8", and
    implementations "MUST NOT add a byte order mark"."""
    seen = encoding_seen(exchange.response_body)
    return [f"the body is not UTF-8 JSON: it starts with {seen}"] if seen else []


@check("response.error-code", stage=Stage.ERROR_CODE)
def error_code_problems(ctx: CheckContext, exchange: Exchange) -> Problems:
    """response.error-code: the code of the status (400: any non-empty code)."""
    body = exchange.json()
    if exchange.status < 400 or not isinstance(body, dict):
        return []
    code = body.get("code")
    wanted = ERROR_CODES.get(exchange.status)
    if wanted is None:
        if isinstance(code, str) and code != "":
            return []
        return [f"status {exchange.status} carries code {code!r}, expected a non-empty code"]
    if code == wanted:
        return []
    return [f"status {exchange.status} carries code {code!r}, expected {wanted!r}"]


@check("response.documented", stage=Stage.BODY)
def documented_body(ctx: CheckContext, exchange: Exchange) -> Problems:
    """response.documented: "Every response is `application/json`"; "each body matches the
    schema the document declares for its status"."""
    ctype = exchange.header("content-type")
    if not is_json_media(ctype):
        return [f"content type {visible(ctype or '<none>')!r} is not application/json"]
    if exchange.not_json:
        return [exchange.not_json]
    return [
        f"schema ({exchange.status}): {e}" for e in schema_errors(exchange.status, exchange.json())
    ]


def _one_broken_field(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.status == 422 and ctx.expect is not None and bool(ctx.expect.broken_field)


@check("validation.errors", stage=Stage.ERROR_PATHS, when=_one_broken_field)
def error_path_problems(ctx: CheckContext, exchange: Exchange) -> Problems:
    """validation.errors: a 422 for a body with one broken field lists an error whose `path`
    starts with that field."""
    field = ctx.expect.broken_field if ctx.expect is not None else None
    body = exchange.json() or {}
    errors = body.get("errors") if isinstance(body, dict) else None
    paths = [e.get("path") for e in errors or [] if isinstance(e, dict)]
    if any(isinstance(p, list) and p and p[0] == field for p in paths):
        return []
    return [f"no error path starts with {field!r}; paths: {paths!r}"]
