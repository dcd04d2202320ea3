"""A HAR entry as the checks see an exchange: its request and response, the role of the key it
sent, when it was sent, and what the suite expected of it when the suite recorded it.

Keys' roles come from the configured keys: a HAR the suite wrote marks each entry's role
(`_key_role`, the key itself masked); an outside HAR holds the keys in clear, and each is
compared with API_KEY, FORBIDDEN_API_KEY and OTHER_API_KEY (never printed: the exchange keeps
them masked). A key that is none of them is an unknown key: that request is unauthenticated."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from conformance.checks.context import UNKNOWN_KEY, Expectation
from conformance.judge.har import sent_at
from conformance.settings import KEY_VARIABLES
from conformance.wire.exchange import Exchange
from conformance.wire.redact import redact_headers


@dataclass(frozen=True)
class Recorded:
    exchange: Exchange
    expect: Expectation | None  # what the suite expected, when it wrote the entry
    truncated: bool  # a body the recorder cut: it cannot be judged whole
    key: str | None = None  # the key in clear, as an outside HAR holds it (masked in every output)
    masked: bool = False  # the recorder masked the key: its role is unknown


def _headers(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        return []
    return [(str(h.get("name", "")), str(h.get("value", ""))) for h in raw if isinstance(h, dict)]


def _body(content: Any) -> tuple[bytes, bool]:
    """(bytes, truncated) of a HAR body (`text`, base64 when `encoding` says)."""
    if not isinstance(content, dict):
        return b"", False
    text = content.get("text")
    if not isinstance(text, str):
        return b"", False
    truncated = "_truncated" in content
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False), truncated
        except (binascii.Error, ValueError):
            return text.encode("utf-8", "surrogatepass"), truncated
    return text.encode("utf-8", "surrogatepass"), truncated


# A key a recorder masked (Schemathesis writes "[Filtered]", this suite "***"): its role is not
# in the file, so what the request had to get is not either; the rest of it is judged.
MASKED_KEY = "masked"


def _masked(value: str) -> bool:
    text = value.strip()
    return bool(text) and (set(text) == {"*"} or (text[0], text[-1]) in (("[", "]"), ("<", ">")))


def role(headers: list[tuple[str, str]], entry: dict[str, Any], keys: dict[str, str]) -> str | None:
    """The variable whose key the request sent, UNKNOWN_KEY for another key, MASKED_KEY for
    one the recorder masked, None for none."""
    if isinstance(entry.get("_key_role"), str):
        marked = entry["_key_role"]
        return marked if marked in KEY_VARIABLES else UNKNOWN_KEY
    sent = next((v for k, v in headers if k.lower() == "x-api-key"), None)
    if sent is None:
        return None
    known = next((var for var, key in keys.items() if key and sent == key), None)
    return known or (MASKED_KEY if _masked(sent) else UNKNOWN_KEY)


def recorded(entry: dict[str, Any], keys: dict[str, str]) -> Recorded | None:
    """The exchange an entry holds, or None when it holds no answered request."""
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return None
    status = response.get("status")
    if not isinstance(status, int) or status <= 0:
        return None  # no answer (a browser's aborted request)
    headers = _headers(request.get("headers"))
    key_role = role(headers, entry, keys)
    post = request.get("postData")
    body, cut_request = _body(post) if isinstance(post, dict) else (b"", False)
    answer, cut_answer = _body(response.get("content"))
    elapsed = entry.get("time")
    exchange = Exchange(
        method=str(request.get("method", "")).upper(),
        url=str(request.get("url", "")),
        request_headers=redact_headers(dict(headers)),
        request_body=body if isinstance(post, dict) else None,
        status=status,
        response_headers=CaseInsensitiveDict(dict(_headers(response.get("headers")))),
        response_body=answer,
        elapsed=float(elapsed) / 1000 if isinstance(elapsed, int | float) else 0.0,
        key_var=key_role if key_role in KEY_VARIABLES else None,
        test=str(entry.get("_test", "")),
        sent_at=sent_at(entry),
    )
    sent_key = next((v for k, v in headers if k.lower() == "x-api-key"), None)
    clear = sent_key if sent_key is not None and not _masked(sent_key) else None
    expect = Expectation.from_record(entry.get("_expect"))
    return Recorded(exchange, expect, cut_request or cut_answer, clear, key_role == MASKED_KEY)


def path_of(url: str) -> str:
    return urlsplit(url).path
