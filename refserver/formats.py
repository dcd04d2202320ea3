"""Spellings of the campaign's date-times and ids, as the active variant picks them."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

from .variants import active

_IST = timezone(timedelta(hours=5, minutes=30))


def now_ns() -> int:
    """Nanoseconds since the epoch: datetime stops at microseconds, the 9-digit variant doesn't."""
    return time.time_ns()


def rfc3339(moment_ns: int) -> str:
    """An RFC 3339 date-time of an instant given in epoch nanoseconds.

    The default is milliseconds with Z; each timestamp variant spells the same
    instant another legal way.
    """
    seconds, nanos = divmod(moment_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    if active("timestamps_other_offset"):
        moment = moment.astimezone(_IST)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if active("timestamps_no_fraction"):
        fraction = ""
    elif active("timestamps_microseconds"):
        fraction = f".{nanos // 1000:06d}"
    elif active("timestamps_nanoseconds"):
        fraction = f".{nanos:09d}"
    else:
        fraction = f".{nanos // 1_000_000:03d}"
    if active("timestamps_other_offset"):
        offset = "+05:30"
    elif active("timestamps_plus_zero_offset"):
        offset = "+00:00"
    else:
        offset = "Z"
    text = base + fraction + offset
    return text.lower() if active("timestamps_lower_case") else text


def uuid7() -> str:
    """A UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version 7, variant 10, random rest."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def campaign_id() -> str:
    return uuid7() if active("campaign_id_uuid7") else str(uuid.uuid4())
