"""JSON responses: the body the app built, reshaped and encoded as the active variant says.

With no variant active this is exactly the default server: compact ASCII-escaped
JSON, members in the order they were built, media type application/json.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import Response

from . import defects
from .variants import active

MEDIA = "application/json"
_MEDIA_VARIANTS = {
    "content_type_charset": "application/json; charset=utf-8",
    "content_type_other_case": "Application/JSON",
    "content_type_quoted_charset": 'application/json;charset="UTF-8"',
}
_EXTRA_BY_TYPE: dict[type, Any] = {bool: False, int: 0, float: 0.0, str: "extra"}


def respond(
    status: int, body: Any, headers: dict[str, str] | None = None, media: str = MEDIA
) -> Response:
    """The Response for a JSON body; `media` other than MEDIA (a planted defect) is kept."""
    body = _reshape(status, body)
    headers = dict(headers or {})
    if active("location_on_201") and status == 201 and isinstance(body, dict):
        campaign = body.get("campaign")
        if isinstance(campaign, dict) and isinstance(campaign.get("id"), str):
            headers["Location"] = f"/v2/campaigns/{campaign['id']}"
    if media == MEDIA:
        media = next((m for name, m in _MEDIA_VARIANTS.items() if active(name)), MEDIA)
    return Response(encode(body), status_code=status, headers=headers, media_type=media)


def encode(body: Any) -> bytes:
    if active("keys_reversed"):
        body = _reorder(body, lambda keys: keys[::-1])
    elif active("keys_sorted"):
        body = _reorder(body, sorted)
    indent = 2 if active("pretty_printed") else None
    if active("raw_utf8_strings"):
        text = json.dumps(body, ensure_ascii=False, allow_nan=False, indent=indent)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (legal in a JSON string) has no UTF-8 form: keep escapes.
            pass
    # ASCII escapes keep lone surrogates (valid in JSON strings) encodable.
    text = json.dumps(body, ensure_ascii=True, allow_nan=False, indent=indent)
    if active("unicode_escapes_upper_hex"):
        text = _upper_escapes(text)
    if indent:
        text += "\n"
    if active("leading_whitespace"):
        text = "\r\n \t" + text
    if defects.active("json_utf16"):
        return text.encode("utf-16")  # with its byte order mark, as Python writes it
    return text.encode()


def _reshape(status: int, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if status == 400 and active("bad_request_other_code"):
        body["code"] = "INVALID_REQUEST_BODY"
    if status == 422 and isinstance(body.get("errors"), list):
        body = _validation(body)
    if active("nested_nulls") and isinstance(body.get("campaign"), dict):
        campaign = dict(body["campaign"])
        for config in ("transferConfig", "appointmentConfig"):
            campaign[config] = _nulls(campaign.get(config))
        body["campaign"] = campaign
    if active("extra_properties"):
        body = _with_extras(body)
    elif active("integers_as_floats"):
        body = _floats(body)
    return body


def _validation(body: dict[str, Any]) -> dict[str, Any]:
    errors = [dict(e) if isinstance(e, dict) else e for e in body["errors"]]
    for entry in errors:
        if not isinstance(entry, dict):
            continue
        if active("error_entries_extra_fields"):
            entry["keyword"] = entry.get("code", "invalid")
            entry["severity"] = "error"
        elif active("errors_without_expected_received"):
            entry.pop("expected", None)
            entry.pop("received", None)
    if active("errors_multiple"):
        root = {
            "path": [],
            "message": "The request body has invalid fields",
            "code": "invalid_body",
        }
        errors.insert(0, root)
    body["errors"] = errors
    if active("failed_records_empty"):
        body["failedRecords"] = []
    return body


# The nested properties CONTRACT.md names nullable: optional links and free-text fields.
NULLABLE_NESTED = frozenset(
    {"routingConfigId", "groupId", "callFormId", "appointmentConfigId", "transferConfigId"}
    | {"removedByUserId", "replacementMemberId", "createdBy", "updatedBy", "description"}
    | {"removedAt", "removedReason", "filterData", "skills", "lastCallAt"}
)


def _nulls(value: Any) -> Any:
    if isinstance(value, list):
        return [_nulls(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {k: None if k in NULLABLE_NESTED else _nulls(v) for k, v in value.items()}


def _with_extras(value: Any) -> Any:
    """One more member in every object, typed like its siblings when they agree."""
    if isinstance(value, list):
        return [_with_extras(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _with_extras(item) for key, item in value.items()}
    kinds = {type(item) for item in value.values()}
    extra = _EXTRA_BY_TYPE.get(kinds.pop(), "extra") if len(kinds) == 1 else "extra"
    out["vendorExtension"] = extra
    return out


def _floats(value: Any) -> Any:
    if isinstance(value, list):
        return [_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        # Exact below 2**53; the contract's integers (maxConcurrentCalls included) all are.
        return float(value)
    return value


def _upper_escapes(text: str) -> str:
    """Every escape read left to right (so an escaped backslash is never mistaken for the start
    of a \\u), its hex digits upper-cased."""
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|.)",
        lambda m: "\\" + ("u" + m.group(1)[1:].upper() if len(m.group(1)) == 5 else m.group(1)),
        text,
    )


def _reorder(value: Any, order: Any) -> Any:
    if isinstance(value, list):
        return [_reorder(item, order) for item in value]
    if isinstance(value, dict):
        return {key: _reorder(value[key], order) for key in order(list(value))}
    return value
