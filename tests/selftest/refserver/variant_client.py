"""Start the reference server with a variant and talk to it over raw-enough HTTP.

http.client keeps header names as the server spelt them and never decompresses;
`raw_exchange` goes below it, to see chunk boundaries and connection closes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.embedded import free_port, stop

ROOT = Path(__file__).resolve().parents[3]
KEY_A = "cc_ref_client_a"
TEMPLATE_A = "7d9c1f4e-2b3a-4c5d-8e6f-1a2b3c4d5e6f"
PATH = "/v2/campaigns"


@dataclass
class Server:
    port: int
    log: Any  # the child's stdout+stderr, to show that it stays silent

    def output(self) -> str:
        self.log.seek(0)
        return str(self.log.read())


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]  # as spelt on the wire
    body: bytes

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[0] if found else None

    def json(self) -> Any:
        return json.loads(self.body)


def child_env(variant: str | None, stack: str | None, rate_limit: int, window: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSERVER_")}
    env["REFSERVER_RATE_LIMIT"] = str(rate_limit)
    env["REFSERVER_RATE_WINDOW"] = str(window)
    if variant:
        env["REFSERVER_VARIANT"] = variant
    if stack:
        env["REFSERVER_STACK"] = stack
    return env


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[tuple[int, Any]]:
    """`python -m refserver` on a free loopback port, its output kept in a log (which must stay
    empty: the server prints nothing about callers); yields (port, log)."""
    port = free_port()
    cmd = [sys.executable, "-m", "refserver", "--port", str(port), *args]
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(proc, port, log)
            yield port, log
        finally:
            stop(proc)


@contextlib.contextmanager
def server(
    variant: str | None = None,
    stack: str | None = None,
    rate_limit: int = 0,
    window: float = 60.0,
) -> Iterator[Server]:
    with running([], child_env(variant, stack, rate_limit, window)) as (port, log):
        yield Server(port, log)


def _wait_ready(proc: subprocess.Popen[str], port: int, log: Any) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"refserver exited early ({proc.returncode}): {log.read()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("refserver did not accept connections within 20 s")


def request(
    port: int,
    method: str = "POST",
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    key: str | None = KEY_A,
    path: str = PATH,
    conn: http.client.HTTPConnection | None = None,
) -> Reply:
    """One exchange; on `conn` when given (keep-alive), else on a connection of its own."""
    sent = {"Content-Type": "application/json"}
    if key:
        sent["x-api-key"] = key
    sent.update(headers or {})
    if raw is None and body is not None:
        raw = json.dumps(body).encode()
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=raw, headers=sent)
        response = conn.getresponse()
        return Reply(response.status, list(response.getheaders()), response.read())
    finally:
        if own:
            conn.close()


def post(port: int, body: Any = None, **kwargs: Any) -> Reply:
    return request(port, "POST", {"name": "variant check"} if body is None else body, **kwargs)


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send bytes, read until the server closes or goes quiet; (bytes read, closed by server)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        sock.settimeout(1.0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return received, False
            if not chunk:
                return received, True
            received += chunk
        return received, False


def raw_post(body: Any, extra: str = "") -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {KEY_A}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
    )
    return head.encode() + data


def split_head(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return [(k, v.strip()) for k, _, v in (line.partition(":") for line in lines)], rest


def dechunk(data: bytes) -> tuple[bytes, int]:
    """The body of a chunked message and the number of non-empty chunks in it."""
    body, count = b"", 0
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body, count
        body, count, data = body + data[:size], count + 1, data[size + 2 :]


def objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside a parsed value, the value itself included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from objects(item)
