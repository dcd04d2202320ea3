"""Wire, rate-limit and stack variants, and the stdlib stack itself, over real loopback HTTP:
header-name case, media types, chunks, closes, gzip, extra headers, 429 shapes, windows."""

from __future__ import annotations

import gzip
import http.client
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from .variant_client import (
    Reply,
    dechunk,
    post,
    raw_exchange,
    raw_post,
    request,
    server,
    split_head,
)


@dataclass(frozen=True)
class Case:
    check: Callable[[int], None]
    stacks: tuple[str | None, ...] = (None,)  # None: the stack the variant resolves to
    rate_limit: int = 0
    window: float = 60.0


WIRE_CHECKS: dict[str, Case] = {}


def case(name: str, **options: object) -> Callable[[Callable[[int], None]], Callable]:
    def register(fn: Callable[[int], None]) -> Callable[[int], None]:
        WIRE_CHECKS[name] = Case(fn, **options)  # type: ignore[arg-type]
        return fn

    return register


def _throttled(port: int, seen: list[Reply] | None = None) -> Reply:
    """The 429 of a server limited to 1 request per window (the 201 before it kept in seen)."""
    admitted = post(port)
    assert admitted.status == 201
    if seen is not None:
        seen.append(admitted)
    reply = post(port)
    assert reply.status == 429, reply.body
    return reply


def _names(port: int) -> list[str]:
    replies: list[Reply] = []
    replies.append(_throttled(port, replies))
    names = [k for reply in replies for k, _ in reply.headers]
    assert any(n.lower() == "retry-after" for n in names)
    return names


@case("header_names_title_case", rate_limit=1)
def _title(port: int) -> None:
    names = _names(port)
    assert {"Content-Type", "Content-Length", "Retry-After", "Date"} <= set(names)
    assert all(n == "-".join(p.capitalize() for p in n.split("-")) for n in names)


@case("header_names_upper_case", rate_limit=1)
def _upper(port: int) -> None:
    names = _names(port)
    assert {"CONTENT-TYPE", "CONTENT-LENGTH", "RETRY-AFTER"} <= set(names)
    assert all(n == n.upper() for n in names)


_MEDIA = {
    "content_type_charset": "application/json; charset=utf-8",
    "content_type_other_case": "Application/JSON",
    "content_type_quoted_charset": 'application/json;charset="UTF-8"',
}


def _media(port: int) -> None:
    for reply in (post(port), post(port, {}), request(port, "GET", path="/nowhere")):
        assert reply.header("content-type") == _MEDIA[_SEEN[port]], reply.status


for _name in _MEDIA:
    WIRE_CHECKS[_name] = Case(_media)


@case("chunked_bodies", stacks=("uvicorn", "stdlib"))
def _chunked(port: int) -> None:
    data, _ = raw_exchange(port, raw_post({"name": "chunks"}, "Connection: close\r\n"))
    headers, rest = split_head(data)
    lower = {k.lower(): v for k, v in headers}
    assert lower.get("transfer-encoding") == "chunked" and "content-length" not in lower
    body, count = dechunk(rest)
    assert count >= 2 and b'"name": "chunks"' in body


@case("connection_close", stacks=("uvicorn", "stdlib"))
def _close(port: int) -> None:
    data, closed = raw_exchange(port, raw_post({"name": "bye"}))
    headers, _ = split_head(data)
    assert ("connection", "close") in [(k.lower(), v.lower()) for k, v in headers]
    assert closed, "the server said close but kept the connection open"


@case("gzip_bodies", stacks=("uvicorn", "stdlib"))
def _gzip(port: int) -> None:
    packed = post(port, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.status == 201 and packed.header("content-encoding") == "gzip"
    assert b'"campaign"' in gzip.decompress(packed.body)
    assert packed.header("content-length") == str(len(packed.body))
    for refused in ({"Accept-Encoding": "gzip;q=0"}, {"Accept-Encoding": "identity"}, {}):
        plain = post(port, headers=refused)
        assert plain.header("content-encoding") is None and plain.json()["campaign"]


@case("extra_headers")
def _extra(port: int) -> None:
    for reply in (post(port), post(port, {})):
        uuid.UUID(reply.header("x-request-id") or "")
        assert reply.header("cache-control") == "no-store"


@case("location_on_201")
def _location(port: int) -> None:
    reply = post(port)
    assert reply.header("location") == f"/v2/campaigns/{reply.json()['campaign']['id']}"
    assert post(port, {}).header("location") is None


@case("retry_after_float", rate_limit=1)
def _retry_float(port: int) -> None:
    reply = _throttled(port)
    assert re.search(rb'"retryAfter": \d+\.0[,}]', reply.body)
    header = reply.header("retry-after") or ""
    assert header.isdigit() and float(header) == reply.json()["retryAfter"] <= 60


@case("no_retry_after_header", rate_limit=1)
def _no_header(port: int) -> None:
    reply = _throttled(port)
    assert reply.header("retry-after") is None and type(reply.json()["retryAfter"]) is int


@case("integers_as_floats_429", rate_limit=1)
def _floats_429(port: int) -> None:
    reply = _throttled(port)
    assert re.search(rb'"retryAfter": \d+\.0[,}]', reply.body)
    assert float(reply.header("retry-after") or "x") == reply.json()["retryAfter"]


def _at(mark: float) -> None:
    time.sleep(max(0.0, mark - time.monotonic()))


@case("sliding_window_rate_limit", rate_limit=3, window=2.0)
def _sliding(port: int) -> None:
    # 1 request at t0, 2 at t0+1.2: at t0+2.3 a fixed window would have reset, the log has 2.
    t0 = time.monotonic()
    assert post(port).status == 201
    _at(t0 + 1.2)
    assert [post(port).status for _ in range(2)] == [201, 201]
    _at(t0 + 2.3)
    assert post(port).status == 201
    refused = post(port)
    assert refused.status == 429 and refused.json()["retryAfter"] in (1, 2)


@case("wall_clock_window_rate_limit", rate_limit=3, window=2.0)
def _wall_clock(port: int) -> None:
    # 3 just before a 2-second boundary of the wall clock, 3 just after: all 6 get through.
    time.sleep((1.6 - time.time() % 2.0) % 2.0)
    assert [post(port).status for _ in range(3)] == [201] * 3
    time.sleep(max(0.0, 2.0 - time.time() % 2.0) + 0.05)
    assert [post(port).status for _ in range(3)] == [201] * 3
    refused = post(port)
    left = 2.0 - time.time() % 2.0
    assert refused.status == 429 and refused.json()["retryAfter"] == max(1, math.ceil(left))


_SEEN: dict[int, str] = {}
_CASES = [(name, stack) for name, spec in sorted(WIRE_CHECKS.items()) for stack in spec.stacks]


@pytest.mark.parametrize(("name", "stack"), _CASES)
def test_wire_variant(name: str, stack: str | None) -> None:
    spec = WIRE_CHECKS[name]
    # integers_as_floats is a body variant; its 429 half needs a limited server, so it is here.
    variant = name.removesuffix("_429")
    with server(variant, stack, spec.rate_limit, spec.window) as srv:
        _SEEN[srv.port] = variant
        spec.check(srv.port)
        assert srv.output() == ""


def test_stdlib_stack_serves_the_app() -> None:
    with server(stack="stdlib") as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        try:
            created = post(srv.port, {"name": "stdlib"}, conn=conn)
            sock = conn.sock
            invalid = post(srv.port, {}, conn=conn)
            assert conn.sock is sock, "the keep-alive connection was not reused"
        finally:
            conn.close()
        assert created.status == 201 and created.json()["campaign"]["name"] == "stdlib"
        assert invalid.status == 422 and invalid.json()["errors"][0]["path"] == ["name"]
        assert created.header("content-type") == "application/json"
        assert request(srv.port, "GET").status == 405
        chunked = b"POST /v2/campaigns HTTP/1.1\r\nHost: x\r\nx-api-key: cc_ref_client_a\r\n"
        chunked += b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        chunked += b'Connection: close\r\n\r\n5\r\n{"nam\r\n9\r\ne": "ck"}\r\n0\r\n\r\n'
        data, closed = raw_exchange(srv.port, chunked)
        assert data.startswith(b"HTTP/1.1 201 ") and closed
        bad, _ = raw_exchange(srv.port, b"NONSENSE\r\n\r\n")
        assert b"application/json" in bad and b"<html" not in bad.lower()
        # No access log, no error log: nothing about a caller is printed.
        assert srv.output() == ""


def test_checks_fail_on_the_default_server() -> None:
    # The same negative control for the wire checks that need no rate limit.
    with server(stack="stdlib") as srv:
        for name, spec in WIRE_CHECKS.items():
            if spec.rate_limit:
                continue
            _SEEN[srv.port] = name
            with pytest.raises((AssertionError, ValueError)):
                spec.check(srv.port)
