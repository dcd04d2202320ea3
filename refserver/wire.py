"""Wire-level variants: framing, connection handling, compression, extra headers, name case.

`WireVariants` is ASGI middleware, so framing variants work on either stack: a
response without Content-Length is sent chunked by h11 (uvicorn) and by the stdlib
bridge alike, and both close after a response that says `Connection: close`.
Header-name case is the exception: h11 adds lower-case names of its own, so only
the stdlib bridge, which writes every name itself, applies `header_name`.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .variants import active

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WIRE_VARIANTS = (
    "chunked_bodies",
    "connection_close",
    "gzip_bodies",
    "extra_headers",
)
_CHUNK = 64  # small, so that even short error bodies go out as several chunks


def any_active() -> bool:
    return any(active(name) for name in WIRE_VARIANTS)


def header_name(name: str) -> str:
    """A header name spelt as the active variant says (the default: as given, lower case)."""
    if active("header_names_title_case"):
        return "-".join(part.capitalize() for part in name.split("-"))
    if active("header_names_upper_case"):
        return name.upper()
    return name


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (RFC 9110 §12.5.3: q=0 means 'not')."""
    star = None
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            return weight > 0
        if coding == "*":
            star = weight > 0
    return bool(star)


class WireVariants:
    """Buffers the app's response, then re-sends it framed as the active variant says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        parts: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        if not start:
            return
        body = b"".join(parts)
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
        request_headers = dict(scope.get("headers", []))
        if active("gzip_bodies"):
            # Vary on every response: the representation depends on Accept-Encoding.
            headers.append((b"vary", b"Accept-Encoding"))
            if accepts_gzip(request_headers.get(b"accept-encoding", b"").decode("latin-1")):
                body = gzip.compress(body)
                headers = _without(headers, b"content-length")
                headers += [(b"content-encoding", b"gzip"), _length(body)]
        elif active("extra_headers"):
            headers += [
                (b"x-request-id", str(uuid.uuid4()).encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ]
        elif active("connection_close"):
            headers.append((b"connection", b"close"))
        chunked = active("chunked_bodies") and scope["method"] != "HEAD"
        if chunked:
            # No Content-Length and several body messages: the server frames them as chunks.
            headers = _without(headers, b"content-length")
        await send({**start, "headers": headers})
        if not chunked:
            await send({"type": "http.response.body", "body": body})
            return
        for at in range(0, len(body), _CHUNK):
            piece = body[at : at + _CHUNK]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _without(headers: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() != name]


def _length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())
