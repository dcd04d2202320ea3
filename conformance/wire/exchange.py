"""One request and its response, as every check and report sees it (the key already masked)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from conformance.wire.redact import curl_line, excerpt, redact_headers, visible
from conformance.wire.semantics import header

# JSON nested deeper than this is "not JSON (too deep)": Python's parser would recurse past its
# stack, and no body of the contract comes near it.
MAX_JSON_DEPTH = 200


def _depth_ok(raw: bytes) -> bool:
    """Bracket depth of a JSON text, strings skipped; cheap, and run before the parser."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return True  # too few brackets to nest too deep: counted at C speed
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def parse_json(raw: bytes) -> tuple[Any, str]:
    """(value, "") for a JSON body; (None, why) when it is not JSON. Only UTF-8 is read, and
    a byte order mark is not skipped (RFC 8259 §8.1): Python's `json.loads` would guess
    UTF-16 or UTF-32 from the bytes and accept what the contract's clients cannot."""
    if not _depth_ok(raw):
        return None, f"body is not JSON (too deep: nested more than {MAX_JSON_DEPTH} levels)"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "body is not JSON (not UTF-8)"
    try:
        return json.loads(text), ""
    except RecursionError:
        return None, "body is not JSON (too deep)"
    except ValueError:
        return None, "body is not JSON"


@dataclass(frozen=True, eq=False)
class Exchange:
    """Compared by identity: two exchanges are two requests, however alike."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: CaseInsensitiveDict[str]
    response_body: bytes
    elapsed: float
    # The variable whose key was sent (API_KEY...), None for no key or a made-up one.
    key_var: str | None = "API_KEY"
    # The test that sent it (whose cost it counts in), and when (the client's clock, epoch s).
    test: str = ""
    sent_at: float = 0.0

    @classmethod
    def from_response(
        cls, response: requests.Response, key_var: str | None, test: str = "", sent_at: float = 0.0
    ) -> Exchange:
        req = response.request
        body = req.body.encode() if isinstance(req.body, str) else req.body
        return cls(
            method=req.method or "POST",
            url=req.url or "",
            request_headers=redact_headers(dict(req.headers)),
            request_body=body,
            status=response.status_code,
            response_headers=CaseInsensitiveDict(response.headers),
            response_body=response.content,
            elapsed=response.elapsed.total_seconds(),
            key_var=key_var,
            test=test,
            sent_at=sent_at,
        )

    def header(self, name: str) -> str | None:
        return header(self.response_headers, name)

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON (see `not_json`)."""
        return self._parsed[0]

    @property
    def not_json(self) -> str:
        """Why the body is not JSON, or "" when it is (a literal `null` included)."""
        return self._parsed[1]

    @cached_property
    def _parsed(self) -> tuple[Any, str]:  # a frozen dataclass without slots keeps its cache
        # Parsed once: a verdict reads the body for the status, the schema, the code and the echo.
        return parse_json(self.response_body)

    def curl(self) -> str:
        return curl_line(
            self.method, self.url, self.request_headers, self.request_body, self.key_var
        )

    def describe(self) -> str:
        ctype = visible(self.header("content-type") or "<none>")
        location = self.header("location")
        where = f" Location: {visible(location)}" if location else ""
        return (
            f"request:  {self.curl()}\n"
            f"response: {self.status} ({ctype}){where} {excerpt(self.response_body)}"
        )
