"""The legal-variant catalogue: the twin of defects.py.

Each variant is a choice that CONTRACT.md or the RFCs it names leave open to a
server. Starting the reference server with one variant makes it take that choice,
so the conformance suite can be shown never to fail a conforming server. A
variant and a planted defect are never active together: a run must prove either
"caught" or "not failed", never both at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import current

# Stacks a variant can run on: "any" (uvicorn or the stdlib bridge) or one of them.
ANY, STDLIB, UVICORN = "any", "stdlib", "uvicorn"
STACKS = (UVICORN, STDLIB)


@dataclass(frozen=True)
class Variant:
    name: str
    source: str
    description: str
    stack: str = ANY


_HTTP = 'CONTRACT.md "HTTP": '
_CASE = _HTTP + '"A conforming server may spell header names in any case"; '
_JSON_INT = (
    'CONTRACT.md "Request body": "Integers: a JSON number with a non-zero fractional part (`1.5`) '
    'is not an integer; `1.0` is"; "Rate limit": "`60` and `60.0` are the same integer"'
)
_OTHER_METHODS = (
    _HTTP + '"What the server does with other methods on the path (the vendor also serves `GET` '
    'there: its list endpoint) is outside it"'
)
_SECFRAC = 'RFC 3339 §5.6: time-secfrac = "." 1*DIGIT; ' + (
    _HTTP + '"Date-times follow RFC 3339 §5.6 exactly, which allows ... any number of fraction '
    'digits"'
)
_OFFSET = 'RFC 3339 §5.6: time-offset = "Z" / time-numoffset (§4.2: local offsets are legal)'
_LOOSER = (
    'CONTRACT.md "The Campaign object": "Where the page gives no ground for a constraint, the '
    'document takes the looser reading"; no object of the contract is declared closed'
)
_ERRORS = (
    'CONTRACT.md "Responses": "Each entry of `errors` has `path` ..., `message` (string), `code` '
    '(string), and optionally `expected` and `received` (strings)"'
)
_UNORDERED = 'RFC 8259 §4: "An object is an unordered collection of zero or more name/value pairs"'
_LIMIT = 'CONTRACT.md "Rate limit": '


def _v(name: str, source: str, description: str, stack: str = ANY) -> Variant:
    return Variant(name, source, description, stack)


CATALOGUE: tuple[Variant, ...] = (
    # Header fields and framing (wire.py, stdlib_stack.py).
    _v(
        "header_names_title_case",
        "RFC 9110 §5.1: field names are case-insensitive; " + _CASE,
        "every response header name is Title-Case (Content-Type, Retry-After, Date). Stdlib stack "
        "only: h11 under uvicorn adds its own lower-case names, so the case could not be uniform",
        STDLIB,
    ),
    _v(
        "header_names_upper_case",
        "RFC 9110 §5.1: field names are case-insensitive; " + _CASE,
        "every response header name is UPPER-CASE (CONTENT-TYPE, RETRY-AFTER). Stdlib stack only, "
        "as for Title-Case",
        STDLIB,
    ),
    _v(
        "content_type_charset",
        _HTTP + '"add parameters such as `charset=utf-8` to `application/json`"',
        "every response is application/json; charset=utf-8",
    ),
    _v(
        "content_type_other_case",
        _HTTP + '"(media types compare case-insensitively by type and subtype)"; RFC 9110 §8.3.1',
        "every response is Application/JSON",
    ),
    _v(
        "content_type_quoted_charset",
        "RFC 9110 §5.6.6: a parameter value is a token or a quoted-string, the two equivalent, "
        'and OWS around ";" is optional; RFC 9110 §8.3.2: charset names are case-insensitive',
        'every response is application/json;charset="UTF-8" (no space, quoted, upper case)',
    ),
    _v(
        "chunked_bodies",
        "RFC 9112 §7.1: chunked transfer coding; " + _HTTP + '"send bodies chunked or with '
        '`Content-Length`"',
        "bodies are sent Transfer-Encoding: chunked in several chunks, without Content-Length",
    ),
    _v(
        "connection_close",
        "RFC 9112 §9.6: Connection: close, then the server closes; " + _HTTP + '"close or keep '
        'connections"',
        "every response carries Connection: close and the server closes the connection after it",
    ),
    _v(
        "gzip_bodies",
        "RFC 9110 §8.4.1.3 (gzip) and §12.5.3 (Accept-Encoding); " + _HTTP + '"compress for a '
        'client that asked for it"',
        "bodies are gzip-compressed (Content-Encoding: gzip, Vary: Accept-Encoding) for a client "
        "whose Accept-Encoding accepts gzip (q > 0); others get identity bodies",
    ),
    _v(
        "extra_headers",
        _HTTP + '"send headers the contract does not name"',
        "every response adds X-Request-Id (a fresh UUID), Cache-Control: no-store and "
        "X-Content-Type-Options: nosniff",
    ),
    _v(
        "location_on_201",
        "RFC 9110 §15.3.2: a 201 may name the new resource in Location; " + _HTTP + '"send headers '
        'the contract does not name"',
        "a 201 carries Location: /v2/campaigns/<id> (a relative reference, RFC 9110 §10.2.2)",
    ),
    # Rate limit (ratelimit.py; observable with REFSERVER_RATE_LIMIT > 0).
    _v(
        "retry_after_float",
        _LIMIT + '"`retryAfter` is an integer by value: `60` and `60.0` are the same integer ...; '
        '`Retry-After` agrees with it when both are read as numbers"',
        "429 body retryAfter is a number with zero fraction (30.0); the Retry-After header is 30",
    ),
    _v(
        "no_retry_after_header",
        _LIMIT + '"A `Retry-After` header, when sent, is in seconds"',
        "429 carries no Retry-After header; the body's retryAfter is still there",
    ),
    _v(
        "sliding_window_rate_limit",
        _LIMIT + '"The window may be fixed or sliding"',
        "a sliding log per key: a request is admitted when fewer than `limit` admitted requests "
        "lie in the last window (REFSERVER_RATE_WINDOW, default 60 s); retryAfter is when the "
        "oldest of them leaves the window",
    ),
    _v(
        "wall_clock_window_rate_limit",
        _LIMIT + '"A fixed window may end in the middle of a burst; a suite must tell that apart '
        'from a missing limit, never fail a server for it"',
        "fixed windows aligned to the wall clock (they start at multiples of the window length), "
        "so a burst can straddle a window end and get up to twice the limit through",
    ),
    # Date-times of the campaign (formats.py).
    _v(
        "timestamps_lower_case",
        'RFC 3339 §5.6 NOTE: "T" and "Z" may be lower case; '
        + _HTTP
        + '"which allows a lower-case `t` and `z`"',
        "createdAt/updatedAt spelt 2025-01-02t03:04:05.678z",
    ),
    _v("timestamps_microseconds", _SECFRAC, "createdAt/updatedAt with 6 fraction digits"),
    _v("timestamps_nanoseconds", _SECFRAC, "createdAt/updatedAt with 9 fraction digits"),
    _v(
        "timestamps_no_fraction",
        'RFC 3339 §5.6: partial-time = time-hour ":" time-minute ":" time-second '
        "[time-secfrac] (the fraction is optional)",
        "createdAt/updatedAt in whole seconds (2025-01-02T03:04:05Z)",
    ),
    _v("timestamps_plus_zero_offset", _OFFSET, "createdAt/updatedAt end in +00:00 instead of Z"),
    _v(
        "timestamps_other_offset",
        _OFFSET + '; CONTRACT.md: "both within 5 minutes of the client\'s clock" (an instant)',
        "createdAt/updatedAt in +05:30, the same instant",
    ),
    _v(
        "updated_at_later",
        'CONTRACT.md "The Campaign object": "`createdAt <= updatedAt`" (equality not required)',
        "updatedAt is 1 ms after createdAt (two clock reads)",
    ),
    # Ids and request echo (formats.py, campaign.py).
    _v(
        "campaign_id_uuid7",
        'CONTRACT.md: "`id` is a UUID, new on every call"; the contract\'s UUID pattern admits '
        "versions 1 to 8; RFC 9562 §5.7 (UUIDv7)",
        "campaign ids are time-ordered UUIDv7",
    ),
    _v(
        "direction_default_inbound",
        'CONTRACT.md "Request body": "When `direction` is omitted the server chooses (the vendor '
        'documents no default)"',
        "an omitted direction becomes inbound (the default server picks outbound)",
    ),
    _v(
        "template_direction_if_omitted",
        'CONTRACT.md "Request body": "When `direction` is omitted the server chooses"; '
        '"What the response must say": `direction` is echoed "(when sent)"',
        "alongside a template, an omitted direction is the template's (inbound); a sent one is "
        "echoed, and no other field is taken from the template",
    ),
    # Other methods on the path (routes.py).
    _v(
        "list_endpoint_get",
        _OTHER_METHODS,
        'GET (and HEAD) /v2/campaigns is served: 200 {"campaigns": []}, like the vendor\'s list',
    ),
    _v(
        "post_only_404",
        _OTHER_METHODS + "; RFC 9110 §15.5.5: 404 needs no reason",
        "only POST is routed on the path: every other method gets a JSON 404 (not 405)",
    ),
    _v(
        "method_not_allowed_without_allow",
        _OTHER_METHODS
        + " (RFC 9110 §15.5.6 asks a 405 for an Allow header; a suite that sends only POST never "
        "sees it, which is what this variant proves)",
        "every other method gets a JSON 405 without an Allow header",
    ),
    # Bodies (shaping.py).
    _v(
        "extra_properties",
        _LOOSER,
        "every object of every response body (wrapper, campaign, client, customerStats, "
        "statusCounts, features, nested configs, error bodies) carries one extra property, of "
        "the type its siblings share (a new status count is 0, a new feature flag false)",
    ),
    _v(
        "nested_nulls",
        'CONTRACT.md "The Campaign object": "Inside the nested configs: every property the example '
        "shows as `null`, every optional link to another record (`routingConfigId`, `groupId`, "
        '`callFormId`, ...), and free-text or optional fields (`description`, `removedAt`, ...)" '
        "are nullable",
        "inside transferConfig and appointmentConfig, every optional link and free-text field "
        "the contract names is null",
    ),
    _v(
        "error_entries_extra_fields",
        _ERRORS + " (what an entry holds, not a closed set)",
        "each 422 errors[] entry adds keyword and severity",
    ),
    _v(
        "errors_without_expected_received",
        _ERRORS,
        "422 errors[] entries carry only path, message and code",
    ),
    _v(
        "errors_multiple",
        'CONTRACT.md "Responses": "A 422 lists at least one error, and for a body with a single '
        'broken field, an error whose `path` starts with that field"',
        "every 422 lists a root error (path []) first, then the field errors",
    ),
    _v(
        "failed_records_empty",
        'CONTRACT.md "Responses": "ValidationError: `{"message", "code": "VALIDATION_ERROR", '
        '"errors": [...], "failedRecords"?: [...]}`"',
        "every 422 carries failedRecords: []",
    ),
    _v(
        "bad_request_other_code",
        'CONTRACT.md "Request body": "... or one that is not parseable JSON is a 400 with any '
        'non-empty `code`"',
        '400 code is "INVALID_REQUEST_BODY" instead of "BAD_REQUEST"',
    ),
    _v(
        "integers_as_floats",
        _JSON_INT,
        "every integer of every response body is a number with zero fraction: "
        "maxConcurrentCalls 7.0, customerStats 0.0, maxAttempts 3.0, retryAfter 30.0 "
        "(the Retry-After header stays 30)",
    ),
    _v(
        "unicode_escapes_upper_hex",
        'RFC 8259 §7: "Any character may be escaped" as \\u and four hex digits, "upper or lower '
        'case"; characters outside the BMP as a UTF-16 surrogate pair',
        "every non-ASCII character of a response is a \\u escape in upper-case hex (\\u00E9, "
        "\\uD83D\\uDE00): every code point of a multibyte or combining name kept, spelled "
        "otherwise on the wire",
    ),
    _v(
        "leading_whitespace",
        'RFC 8259 §2: "JSON-text = ws value ws"; ws is space, tab, line feed or carriage return',
        "every body starts with CR LF, a space and a tab before the JSON value",
    ),
    _v(
        "answers_out_of_order",
        'RFC 9110 §9.1: each request is answered on its own; CONTRACT.md "HTTP": "RFC 9110 '
        'semantics" (nothing orders the answers of concurrent requests)',
        "every other creating request waits 30 ms before it is answered, so requests sent "
        "together are answered out of order",
    ),
    _v("keys_reversed", _UNORDERED, "the members of every JSON object in reverse order"),
    _v("keys_sorted", _UNORDERED, "the members of every JSON object sorted by name"),
    _v(
        "pretty_printed",
        'RFC 8259 §2: "Insignificant whitespace is allowed before or after any of the six '
        'structural characters"',
        "bodies are indented JSON (indent=2, newline at the end)",
    ),
    _v(
        "raw_utf8_strings",
        "RFC 8259 §7: only quotation mark, reverse solidus and control characters must be "
        "escaped; RFC 8259 §8.1: JSON is UTF-8",
        "non-ASCII characters are sent as raw UTF-8, not \\u escapes (lone surrogates, which "
        "UTF-8 cannot carry, keep their escapes)",
    ),
)

NAMES: frozenset[str] = frozenset(v.name for v in CATALOGUE)
BY_NAME: dict[str, Variant] = {v.name: v for v in CATALOGUE}


class UnknownVariantError(ValueError):
    pass


def check_name(name: str | None) -> None:
    if name and name not in NAMES:
        raise UnknownVariantError(name)


def active(name: str) -> bool:
    # A misspelt name at a call site would silently never fire; fail loudly.
    if name not in NAMES:
        raise UnknownVariantError(name)
    return current().variant == name


def resolve_stack(variant: str | None, requested: str | None) -> str:
    """The stack to serve on: the requested one, or the one the variant needs.

    Raises ValueError for an unknown stack, or a stack the variant cannot run on.
    """
    if requested and requested not in STACKS:
        raise ValueError(f"unknown stack {requested!r}; choose one of {', '.join(STACKS)}")
    needed = BY_NAME[variant].stack if variant else ANY
    if needed == ANY:
        return requested or UVICORN
    if requested and requested != needed:
        raise ValueError(f"variant {variant!r} runs on the {needed} stack only, not {requested}")
    return needed
