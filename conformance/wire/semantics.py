"""HTTP and JSON semantics by the RFCs, in one place: every check reads headers, media types,
date-times and integers through these, never by its own string comparison.

- Header names are case-insensitive (RFC 9110 §5.1): look them up with `header()`.
- Media types compare by type/subtype, case-insensitively, parameters ignored (RFC 9110 §8.3.1).
- Date-times are RFC 3339 §5.6 exactly: `T`/`t`, `Z`/`z`, any number of fraction digits.
- Integers are judged by value: `60.0` is 60, `true` is not an integer (CONTRACT.md, Integers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from requests.structures import CaseInsensitiveDict


def headers_of(raw: Mapping[str, str]) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict(raw)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever the case of its name (RFC 9110 §5.1)."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def media_type(value: str | None) -> str:
    """`type/subtype` of a Content-Type, lower-cased, parameters dropped ("" when absent)."""
    return (value or "").split(";", 1)[0].strip().lower()


def is_json_media(value: str | None) -> bool:
    """`application/json` in any case, with or without parameters."""
    return media_type(value) == "application/json"


def counts_as_json(value: str | None) -> bool:
    """A request's media type the contract takes as JSON: `application/json` or a `+json`
    suffix type under `application/` (a body sent as anything else is a 400)."""
    kind = media_type(value)
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})\Z"
)


def parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 §5.6 date-time as an aware datetime, or None when it is not one. Fractions
    past microseconds are truncated (Python keeps six digits); the instant is unchanged to 1 µs."""
    if not isinstance(value, str):
        return None
    match = _RFC3339.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    # RFC 3339 allows a leap second (60); Python does not: count it as the next instant.
    leap = int(second) == 60
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            59 if leap else int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return parsed + timedelta(seconds=1) if leap else parsed


def integer_value(value: Any) -> int | None:
    """The integer a JSON value stands for, or None: `1.0` is 1, `1.5`, `"5"` and `true` are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def same_json(a: Any, b: Any) -> bool:
    """JSON equality by value: numbers compare numerically (7 == 7.0), booleans only to booleans,
    objects and arrays member by member."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
