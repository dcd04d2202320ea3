"""Strict JSON decoding of request bodies (Python's json module is lenient)."""

from __future__ import annotations

import json
from typing import Any

from .defects import active

# Stand-in for integers too long for int() (Python caps str->int at 4300 digits):
# it is out of every range here, and building it needs no string conversion.
_HUGE = 10**4400


def is_json_media(content_type: str | None) -> bool:
    """application/json or any application/*+json, parameters and case ignored."""
    if content_type is None:
        return False
    if active("content_type_exact_match"):
        return content_type == "application/json"
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        return True
    if active("plus_json_rejected"):
        return False
    kind, _, subtype = media.partition("/")
    return kind == "application" and subtype.endswith("+json") and len(subtype) > len("+json")


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; JSON does not.
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    if len(text) > 4000:
        return -_HUGE if text.startswith("-") else _HUGE
    return int(text)


def loads(raw: bytes) -> Any:
    """Decode a UTF-8 JSON text.

    Raises ValueError (UnicodeDecodeError and JSONDecodeError are subclasses) for
    anything that is not JSON, and RecursionError for nesting beyond the C stack guard.
    """
    text = raw.decode("utf-8")
    return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)


def depth(value: Any) -> int:
    """Nesting depth of containers; iterative, as the value may be nested very deeply."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest
