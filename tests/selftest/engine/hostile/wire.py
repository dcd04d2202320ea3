"""A raw-socket HTTP/1.1 server on loopback whose every answer is written by a behaviour.

http.server cannot drip, stall, cut a body short or lie about framing, so this reads requests
off the socket itself and lets a behaviour write whatever bytes it likes. Every loop is bounded
(by count, by an idle deadline, or by the server's stop event), so a test can always shut it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

PATH = "/v2/campaigns"
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
# A connection that sends nothing for this long is dropped: no handler thread lives forever.
IDLE = 60.0
MAX_REQUESTS_PER_CONNECTION = 10_000
POLL = 0.25


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Conn:
    """One accepted connection: reads that notice the server's stop, sends that report failure."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.buffer = b""

    def send(self, data: bytes, timeout: float = 30.0) -> bool:
        """False once the peer is gone (or does not read for `timeout`): stop writing then."""
        if self.stop.is_set():
            return False
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def hold(self, seconds: float = 600.0) -> None:
        """Keep the connection open, answering nothing, until the server stops (bounded)."""
        self.stop.wait(seconds)

    def _fill(self) -> bool:
        deadline = time.monotonic() + IDLE
        self.sock.settimeout(POLL)
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return False
            if not data:
                return False
            self.buffer += data
            return True
        return False

    def _take(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _line(self) -> bytes | None:
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD or not self._fill():
                return None
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def read_request(self) -> Request | None:
        """The next request on the connection, or None (closed, idle, malformed, too big)."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD or not self._fill():
                return None
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._body(headers)
        if body is None:
            return None
        return Request(parts[0], parts[1], headers, body)

    def _body(self, headers: dict[str, str]) -> bytes | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            for _ in range(100_000):
                line = self._line()
                if line is None:
                    return None
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self._line()  # the blank line after the last chunk (no trailers expected)
                    return b"".join(chunks)
                if size > MAX_BODY or (chunk := self._take(size + 2)) is None:
                    return None
                chunks.append(chunk[:-2])
            return None
        length = int(headers.get("content-length", "0") or "0")
        return None if length > MAX_BODY else self._take(length)


def response(
    status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None, **kw: str
) -> bytes:
    """A complete HTTP/1.1 response; `Content-Length` is the body's unless `headers` set one."""
    fields = list(headers or [])
    fields += [(k.replace("_", "-"), v) for k, v in kw.items()]
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in fields):
        fields.append(("Content-Length", str(len(body))))
    head = f"HTTP/1.1 {status} Hostile\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
    return head.encode("latin-1") + b"\r\n" + body


def json_response(status: int, payload: object, **kw: str) -> bytes:
    return response(status, json.dumps(payload).encode(), Content_Type="application/json", **kw)


PREFLIGHT_ANSWER = json_response(
    422,
    {
        "message": "validation failed",
        "code": "VALIDATION_ERROR",
        "errors": [{"path": ["name"], "message": "required", "code": "required"}],
    },
)

# What a behaviour does with one request; it returns True to keep reading the connection.
Behaviour = Callable[[Request, Conn, "HostileServer"], bool]


@dataclass
class HostileServer:
    """Binds 127.0.0.1 on a free port, serves each connection in a daemon thread."""

    behaviour: Behaviour
    api_key: str = ""
    requests: list[Request] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    # True until the first request that is not the preflight: see `take_preflight`.
    preflight_phase: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(POLL)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            conns = list(self._conns)
        for sock in [self._listener, *conns]:
            with contextlib.suppress(OSError):
                sock.close()

    def take_preflight(self, request: Request) -> bool:
        """True for the suite's preflight (POST, the path, our key, body `{}`) while nothing
        else has been asked: the probes misbehave only after the suite has vetted the target."""
        with self._lock:
            if self.preflight_phase and (
                request.method == "POST"
                and request.target.split("?")[0] == PATH
                and request.headers.get("x-api-key") == self.api_key
                and request.json() == {}
            ):
                return True
            self.preflight_phase = False
            return False

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(sock, self.stop)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                request = conn.read_request()
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                if not self.behaviour(request, conn, self):
                    return
        except (OSError, ValueError):
            return  # a peer that hangs up mid-exchange, or a request we cannot parse
        finally:
            with contextlib.suppress(OSError):
                sock.close()
