"""Hand-written validation of the Create Campaign request body (CONTRACT.md)."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from .defects import active

MAX_SAFE = 9007199254740991

# The vendor page's pattern, verbatim. It is applied with fullmatch so that
# "$" cannot be satisfied just before a trailing newline.
UUID_PATTERN = (
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$"
)
_UUID_RE = re.compile(UUID_PATTERN)
# Generic 8-4-4-4-12 shape, used only by the uuid defects to bend the rule.
_UUID_SHAPE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-([0-9a-fA-F])[0-9a-fA-F]{3}-([0-9a-fA-F])[0-9a-fA-F]{3}"
    r"-[0-9a-fA-F]{12}"
)
_NIL = "00000000-0000-0000-0000-000000000000"
_MAX = "ffffffff-ffff-ffff-ffff-ffffffffffff"

HANDLER_KINDS = ("agents", "ai", "terminal")
TERMINAL_TYPES = ("voicemail", "forward")
DIRECTIONS = ("inbound", "outbound")
KINDS = ("voice_ai", "agent_first")

PLAIN_NULLABLE = (
    "description",
    "templateId",
    "primaryAssistantId",
    "primaryTerminalNumber",
    "afterHoursAssistantId",
    "afterHoursTerminalNumber",
)
KNOWN = frozenset(
    {"name", "maxConcurrentCalls", "direction", "kind", *PLAIN_NULLABLE}
    | {f"{p}{f}" for p in ("primary", "afterHours") for f in ("HandlerKind", "RoutingConfigId")}
    | {f"{p}TerminalType" for p in ("primary", "afterHours")}
)

Error = dict[str, Any]


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (never its text: huge ints can't be str()'d)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _err(field: str, code: str, expected: str, value: Any, message: str = "") -> Error:
    received = json_type(value)
    message = message or f"Expected {expected}, received {received}"
    return {
        "path": [field],
        "message": message,
        "code": code,
        "expected": expected,
        "received": received,
    }


def _type_err(field: str, expected: str, value: Any) -> Error:
    return _err(field, "invalid_type", expected, value)


def is_integer(value: Any) -> bool:
    # JSON Schema: 1.0 is an integer, 1.5 is not; bool is not a number at all.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def uuid_ok(value: str) -> bool:
    if active("uuid_trailing_newline_accepted"):
        ok = _UUID_RE.match(value) is not None
    else:
        ok = _UUID_RE.fullmatch(value) is not None
    shape = _UUID_SHAPE.fullmatch(value)
    if shape and active("uuid_version9_accepted") and shape.group(1) in "09":
        ok = ok or shape.group(2) in "89abAB"
    if shape and active("uuid_variant_any_accepted") and shape.group(1) in "12345678":
        ok = True
    if shape and active("uuid_version8_rejected") and shape.group(1) == "8":
        ok = False
    if active("uuid_nil_rejected") and value == _NIL:
        ok = False
    if active("uuid_max_rejected") and value == _MAX:
        ok = False
    if active("uuid_uppercase_rejected") and value != value.lower():
        ok = False
    return ok


def _name_length(name: str) -> int:
    if active("name_nfd_length"):
        return len(unicodedata.normalize("NFD", name))
    if active("name_utf16_length"):
        return len(name.encode("utf-16-le", "surrogatepass")) // 2
    return len(name)


def _check_name(body: dict[str, Any]) -> list[Error]:
    if "name" not in body:
        if active("name_missing_accepted"):
            return []
        return [
            _err("name", "invalid_type", "string", None, "Required") | {"received": "undefined"}
        ]
    name = body["name"]
    if name is None and active("name_null_accepted"):
        return []
    if not isinstance(name, str):
        return [_type_err("name", "string", name)]
    low = 0 if active("name_empty_accepted") else 1
    low = 2 if active("name_one_rejected") else low
    high = 256 if active("name_256_accepted") else 255
    high = 254 if active("name_255_rejected") else high
    length = _name_length(name)
    if length < low:
        return [_err("name", "too_small", f"length >= {low}", name, "Name is too short")]
    if length > high:
        return [_err("name", "too_big", f"length <= {high}", name, "Name is too long")]
    return []


def _check_concurrency(value: Any) -> list[Error]:
    field = "maxConcurrentCalls"
    if value is None:
        return []
    if isinstance(value, str) and active("concurrency_numeric_string_accepted"):
        digits = value.isascii() and value.isdigit() and len(value) < 100
        value = int(value) if digits else value
    if isinstance(value, bool) and active("concurrency_bool_accepted"):
        value = int(value)
    integral = is_integer(value)
    if active("concurrency_fraction_accepted") and isinstance(value, float):
        integral = math.isfinite(value)
    if active("concurrency_integral_float_rejected") and isinstance(value, float):
        integral = False
    if not integral:
        return [_type_err(field, "integer", value)]
    low = 0 if active("concurrency_zero_accepted") else 1
    low = 2 if active("concurrency_one_rejected") else low
    high = MAX_SAFE + 1 if active("concurrency_above_max_accepted") else MAX_SAFE
    high = MAX_SAFE - 1 if active("concurrency_max_rejected") else high
    if value < low:
        return [_err(field, "too_small", f">= {low}", value, f"Must be >= {low}")]
    if value > high:
        return [_err(field, "too_big", f"<= {high}", value, f"Must be <= {high}")]
    return []


def _check_enum(field: str, value: Any, allowed: tuple[str, ...], nullable: bool) -> list[Error]:
    if value is None and nullable:
        return []
    expected = " | ".join(allowed)
    if not isinstance(value, str):
        return [_type_err(field, expected, value)]
    if value not in allowed:
        return [_err(field, "invalid_enum_value", expected, value, f"Expected {expected}")]
    return []


def _lax_free_text(field: str, value: Any) -> bool:
    """Planted: a number passes where a free-text string is required."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if field == "templateId":
        return number and active("template_id_number_accepted")
    return number and active("free_text_numbers_accepted")


def _check_field(field: str, value: Any) -> list[Error]:
    if field in PLAIN_NULLABLE:
        rejects_null = (field == "description" and active("description_null_rejected")) or (
            field == "primaryTerminalNumber" and active("terminal_number_null_rejected")
        )
        if value is None and not rejects_null:
            return []
        if not isinstance(value, str) and not _lax_free_text(field, value):
            return [_type_err(field, "string", value)]
        if field == "templateId" and active("template_id_format_checked") and not uuid_ok(value):
            return [_err(field, "invalid_string", "uuid", value, "Invalid uuid")]
        return []
    if field == "maxConcurrentCalls":
        return _check_concurrency(value)
    if field == "direction":
        if value is None and active("direction_null_accepted"):
            return []
        if isinstance(value, str) and active("direction_any_accepted"):
            return []
        return _check_enum(field, value, DIRECTIONS, nullable=False)
    if field == "kind":
        if value is None and active("kind_null_accepted"):
            return []
        allowed = ("voice_ai",) if active("kind_agent_first_rejected") else KINDS
        return _check_enum(field, value, allowed, nullable=False)
    if field.endswith("HandlerKind"):
        lax = (field == "primaryHandlerKind" and active("handler_kind_any_accepted")) or (
            field == "afterHoursHandlerKind" and active("after_hours_handler_kind_any_accepted")
        )
        if lax and isinstance(value, str):
            return []
        return _check_enum(field, value, HANDLER_KINDS, nullable=True)
    if field.endswith("TerminalType"):
        if field == "afterHoursTerminalType" and active("terminal_type_case_insensitive"):
            value = value.lower() if isinstance(value, str) else value
        lax = field == "primaryTerminalType" and active("primary_terminal_type_any_accepted")
        if lax and isinstance(value, str):
            return []
        return _check_enum(field, value, TERMINAL_TYPES, nullable=True)
    # The two routing config ids.
    if value is None:
        return []
    if not isinstance(value, str):
        return [_type_err(field, "string", value)]
    if not uuid_ok(value):
        return [_err(field, "invalid_string", "uuid", value, "Invalid uuid")]
    return []


def validate(body: Any) -> list[Error]:
    """All rule breaks of a parsed body; an empty list means the body is valid."""
    if not isinstance(body, dict):
        return [
            {
                "path": [],
                "message": f"Expected object, received {json_type(body)}",
                "code": "invalid_type",
                "expected": "object",
                "received": json_type(body),
            }
        ]
    errors = _check_name(body)
    for field in sorted(KNOWN - {"name"}):
        if field in body:
            errors.extend(_check_field(field, body[field]))
    if active("unknown_property_rejected"):
        for field in sorted(set(body) - KNOWN):
            errors.append(
                {"path": [field], "message": "Unrecognized key", "code": "unrecognized_keys"}
            )
    return errors
