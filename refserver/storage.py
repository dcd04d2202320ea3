"""What a real backend's storage and filters do to free-text values, as planted defects: a column
that cannot hold NUL or a character outside the BMP (a fault), an undocumented length limit or a
"validation" the contract does not state (a 422), a value normalised on its way into storage
(echoed otherwise than sent), and ids or a rate-limit counter read and written without a lock
(they race under concurrent requests). The correct server does none of it."""

from __future__ import annotations

import asyncio
import html
import re
import unicodedata
import uuid
from typing import Any

from .config import state
from .defects import active

FREE_TEXT = (
    "name",
    "description",
    "primaryAssistantId",
    "primaryTerminalNumber",
    "afterHoursAssistantId",
    "afterHoursTerminalNumber",
)
ASSISTANT_ID_LIMIT = 1024
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_RACE_PAUSE = 0.005  # between reading a shared value and writing it back: a real write's time


def fault(body: dict[str, Any]) -> str | None:
    """Why storing this body fails (a 500), or None."""
    texts = [v for f in FREE_TEXT if isinstance(v := body.get(f), str)]
    if active("nul_in_text_500") and any("\0" in t for t in texts):
        return "a text column cannot hold NUL"
    description = body.get("description")
    if (
        active("description_astral_500")
        and isinstance(description, str)
        and any(ord(c) > 0xFFFF for c in description)
    ):
        return "a 3-byte UTF-8 column cannot hold a character outside the BMP"
    return None


def refused(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The 422 errors of limits and filters the contract does not state."""
    errors = []
    assistant = body.get("primaryAssistantId")
    if (
        active("assistant_id_length_limit")
        and isinstance(assistant, str)
        and len(assistant) > ASSISTANT_ID_LIMIT
    ):
        errors.append(_error("primaryAssistantId", f"at most {ASSISTANT_ID_LIMIT} characters"))
    after = body.get("afterHoursAssistantId")
    blank = isinstance(after, str) and after != "" and not after.strip()
    if active("blank_assistant_id_rejected") and blank:
        errors.append(_error("afterHoursAssistantId", "must not be blank"))
    number = body.get("afterHoursTerminalNumber")
    if active("markup_rejected") and isinstance(number, str) and re.search(r"[<>'\"]", number):
        errors.append(_error("afterHoursTerminalNumber", "contains forbidden characters"))
    return errors


def _error(field: str, message: str) -> dict[str, Any]:
    return {"path": [field], "message": message, "code": "invalid_string"}


def stored(field: str, value: Any) -> Any:
    """A free-text value as storage gives it back."""
    if not isinstance(value, str):
        return value
    if field == "description" and active("description_crlf_normalised"):
        return value.replace("\r\n", "\n")
    if field == "name" and active("name_backslashes_doubled"):
        return value.replace("\\", "\\\\")
    if field == "primaryAssistantId" and active("assistant_id_nfc_stored"):
        return unicodedata.normalize("NFC", value)
    if field == "primaryTerminalNumber":
        if active("terminal_number_zero_width_stripped"):
            return _ZERO_WIDTH.sub("", value)
        if active("empty_terminal_number_null") and value == "":
            return None
        if active("terminal_number_formatted") and re.fullmatch(r"\+1\d{10}", value):
            return f"+1 {value[2:5]}-{value[5:8]}-{value[8:]}"
    if field == "afterHoursTerminalNumber" and active("markup_html_escaped"):
        return html.escape(value, quote=False)
    return value


async def new_id() -> str:
    """A campaign id; under the counter defect, from a counter read, then written back a
    moment later, as a database round trip would: concurrent creations read the same value."""
    if not active("id_counter_race"):
        return ""
    server = state()
    read = server.id_counter
    await asyncio.sleep(_RACE_PAUSE)
    server.id_counter = read + 1
    return str(uuid.UUID(int=(0x5EED << 112) | (4 << 76) | (0x8 << 60) | read))


async def racy_hit(limiter: Any, key: str) -> int | None:
    """The rate limit under the race defect: the count is read, then written back a moment
    later, so requests that arrive together are all let through."""
    seen = limiter.peek(key)
    await asyncio.sleep(_RACE_PAUSE)
    if seen is not None:
        return int(seen)
    limiter.hit(key)
    return None
