"""One misbehaviour per server. Each factory returns a `Behaviour` for `HostileServer`; those
named `after_preflight` answer the suite's preflight properly first, so the run gets past it
and meets the misbehaviour in its tests."""

from __future__ import annotations

import base64
import json
import threading
import zlib
from urllib.parse import quote

from tests.selftest.engine.hostile.wire import (
    PREFLIGHT_ANSWER,
    Behaviour,
    Conn,
    HostileServer,
    Request,
    json_response,
    response,
)

CAMPAIGN_HEAD = b'{"campaign": {"name": "'
CAMPAIGN_TAIL = b'"}}'


def after_preflight(misbehave: Behaviour) -> Behaviour:
    def behave(request: Request, conn: Conn, server: HostileServer) -> bool:
        if server.take_preflight(request):
            return conn.send(PREFLIGHT_ANSWER)
        return misbehave(request, conn, server)

    return behave


def always(message: bytes, keep_alive: bool = True) -> Behaviour:
    """The same bytes for every request, the preflight included."""

    def behave(request: Request, conn: Conn, server: HostileServer) -> bool:
        return conn.send(message) and keep_alive

    return behave


def redirect(status: int, location: str) -> Behaviour:
    return always(json_response(status, {"message": "moved", "code": "MOVED"}, Location=location))


def receiver() -> Behaviour:
    """Where a redirect points: it only has to log (the server records every request)."""
    return always(PREFLIGHT_ANSWER)


def echoes(key: str) -> list[str]:
    """The received key as a careless server would reflect it, in every form a leak takes."""
    raw = key.encode()
    return [
        key,
        key.upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        key.removeprefix("cc_"),
        quote(key, safe=""),
    ]


def reflect_key() -> Behaviour:
    def misbehave(request: Request, conn: Conn, server: HostileServer) -> bool:
        key = request.headers.get("x-api-key", "")
        forms = echoes(key)
        body = {
            "message": f"bad key <{key}>",
            "code": "VALIDATION_ERROR",
            "errors": [
                {"path": ["name"], "message": f"key {form} rejected", "code": "invalid"}
                for form in forms
            ],
            "received": forms,
        }
        payload = json.dumps(body).encode()
        fields = [("Content-Type", "application/json"), ("X-Echo-Key", key)]
        fields += [(f"X-Echo-Key-{i}", form) for i, form in enumerate(forms)]
        return conn.send(response(422, payload, fields))

    return after_preflight(misbehave)


def drip(head: bytes = b"{", seconds: int = 3600) -> Behaviour:
    """Headers at once, then one byte a second: each byte comes well inside a read time-out,
    so only a total deadline per exchange ends it."""

    def behave(request: Request, conn: Conn, server: HostileServer) -> bool:
        fields = [("Content-Type", "application/json"), ("Content-Length", "1000000")]
        if not conn.send(response(201, b"", fields) + head):
            return False
        for _ in range(seconds):
            if server.stop.wait(1.0) or not conn.send(b" "):
                return False
        return False

    return behave


def stall() -> Behaviour:
    """Reads the request and never answers; the connection stays open until the server stops."""

    def behave(request: Request, conn: Conn, server: HostileServer) -> bool:
        conn.hold()
        return False

    return behave


def throttle(retry_after: bool) -> Behaviour:
    """429 to everything, the preflight included; with a retry advice no client should obey."""
    body: dict[str, object] = {"message": "slow", "code": "RATE_LIMIT_EXCEEDED"}
    extra: dict[str, str] = {}
    if retry_after:
        body["retryAfter"] = 999999
        extra["Retry_After"] = "999999"
    return always(json_response(429, body, **extra))


def keepalive_hold() -> Behaviour:
    """The preflight is answered on a connection kept alive; the next request (most likely on
    that same pooled connection) and every one after it is read and never answered."""

    def behave(request: Request, conn: Conn, server: HostileServer) -> bool:
        if server.take_preflight(request):
            return conn.send(
                PREFLIGHT_ANSWER.replace(b"\r\n\r\n", b"\r\nConnection: keep-alive\r\n\r\n", 1)
            )
        conn.hold()
        return False

    return behave


def reset_mid_body() -> Behaviour:
    """Promises 1000 bytes, sends 10, hangs up: the framing breaks, not the contract."""

    def misbehave(request: Request, conn: Conn, server: HostileServer) -> bool:
        fields = [("Content-Type", "application/json"), ("Content-Length", "1000")]
        conn.send(response(201, b'{"campaign', fields))
        return False

    return after_preflight(misbehave)


def bad_gzip() -> Behaviour:
    """Says gzip, sends plain JSON: the body cannot be decoded at all."""
    plain = json.dumps({"campaign": {"name": "x"}}).encode()
    fields = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    return after_preflight(always(response(201, plain, fields)))


def huge_body(megabytes: int = 200) -> Behaviour:
    """A 201 whose JSON body is `megabytes` MB, streamed from one reused 1 MB chunk."""
    chunk = b"a" * (1 << 20)
    size = len(CAMPAIGN_HEAD) + megabytes * len(chunk) + len(CAMPAIGN_TAIL)
    fields = [("Content-Type", "application/json"), ("Content-Length", str(size))]

    def misbehave(request: Request, conn: Conn, server: HostileServer) -> bool:
        if not conn.send(response(201, b"", fields) + CAMPAIGN_HEAD):
            return False
        for _ in range(megabytes):
            if not conn.send(chunk):
                return False
        return conn.send(CAMPAIGN_TAIL)

    return after_preflight(misbehave)


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def gzip_bomb_body(gigabytes: int = 2) -> bytes:
    """~2 MB of gzip (one member, RFC 1952) that inflates to a `gigabytes` GB JSON string of
    zeros. Built once per process, in about a second: each 16 MB block of zeros is compressed
    after a full flush, which resets the compressor, so every block's bytes are the same and
    are compressed once; only the CRC-32 of the whole is computed over the 2 GB, which never
    exist here."""
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            blocks = gigabytes * 64
            zeros = b"0" * (16 << 20)
            raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # deflate, no wrapper
            head = raw.compress(CAMPAIGN_HEAD) + raw.flush(zlib.Z_FULL_FLUSH)
            block = raw.compress(zeros) + raw.flush(zlib.Z_FULL_FLUSH)
            tail = raw.compress(CAMPAIGN_TAIL) + raw.flush(zlib.Z_FINISH)
            crc = zlib.crc32(CAMPAIGN_HEAD)
            for _ in range(blocks):
                crc = zlib.crc32(zeros, crc)
            crc = zlib.crc32(CAMPAIGN_TAIL, crc)
            size = len(CAMPAIGN_HEAD) + blocks * len(zeros) + len(CAMPAIGN_TAIL)
            # Header: magic, deflate, no flags, no time, no extra flags, unknown OS.
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
            trailer = crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")
            _BOMB = header + head + block * blocks + tail + trailer
        return _BOMB


def gzip_bomb() -> Behaviour:
    fields = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    return after_preflight(always(response(201, gzip_bomb_body(), fields)))


def deep_json(depth: int = 100_000) -> Behaviour:
    """Valid JSON nested deeper than any recursive parser's stack."""
    body = b"[" * depth + b"]" * depth
    fields = [("Content-Type", "application/json")]
    return after_preflight(always(response(201, body, fields)))


def html_catch_all() -> Behaviour:
    page = b"<html><body><h1>Welcome</h1></body></html>"
    return always(response(200, page, [("Content-Type", "text/html")]))


def preflight_200() -> Behaviour:
    return always(json_response(200, {"ok": True}))
