"""The second HTTP stack: the same ASGI app served by http.server instead of uvicorn.

A ThreadingHTTPServer gives each connection a thread; each thread runs its own
asyncio loop and makes one ASGI call per request. The bridge writes every header
name itself (so the header-case variants can be exact), frames bodies without a
Content-Length as chunks, keeps HTTP/1.1 connections alive, and never logs:
nothing about a caller (address, request line, key) is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from .config import serving
from .wire import ASGIApp, Message, header_name

# Idle keep-alive connections are dropped after this long, as uvicorn does (5 s).
KEEP_ALIVE_SECONDS = 5.0
_MAX_BODY = 16 * 1024 * 1024


class _Refused(Exception):
    """A request the bridge answers itself (bad framing), before the app sees it."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "refserver"
    timeout = KEEP_ALIVE_SECONDS
    # Headers and body leave in one write (flushed per response), and without Nagle: the
    # stdlib's default unbuffered writer sends them apart, and Nagle's algorithm then
    # meets the client's delayed ACK: ~40 ms lost per response.
    wbufsize = -1
    disable_nagle_algorithm = True
    app: ASGIApp  # set on the subclass that serve() builds

    def setup(self) -> None:
        super().setup()
        self._loop = asyncio.new_event_loop()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._loop.close()

    def handle_one_request(self) -> None:
        # The whole exchange as a request of this app (the bridge's own answers included).
        state = getattr(self.app, "server_state", None)
        with serving(state) if state is not None else contextlib.nullcontext():
            self._handle_one()

    def _handle_one(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            # The client went away mid-exchange: end the connection, say nothing.
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler dispatches to do_<METHOD>: every method goes to the app,
        # whose routing decides between 201, 404 and 405.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # No access log, no error log: both would name the caller.
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib's own errors (bad request line, oversized headers) are HTML; ours are JSON.
        body = json.dumps(
            {
                "message": message or self.responses.get(code, ("Error",))[0],
                "code": "BAD_REQUEST" if code == 400 else "HTTP_ERROR",
            }
        ).encode()
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            # An unparsable request line leaves the stdlib's 0.9 default, which would
            # suppress the status line and headers: answer it as HTTP/1.1 instead.
            self.request_version = "HTTP/1.1"
        self._start(
            code,
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        )
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _Refused as refused:
            self.send_error(400, str(refused))
            return
        self._loop.run_until_complete(self._call(body))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        text = self.headers.get("Content-Length")
        if text is None:
            return b""
        if not text.strip().isdigit() or int(text) > _MAX_BODY:
            raise _Refused("invalid Content-Length")
        return self.rfile.read(int(text))

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise _Refused("invalid chunk size") from None
            if size == 0:
                break
            data += self.rfile.read(size)
            self.rfile.readline(3)
            if len(data) > _MAX_BODY:
                raise _Refused("body too large")
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields: not used
        return bytes(data)

    def _scope(self) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]  # type: ignore[index,str-unpack]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.request_version.removeprefix("HTTP/"),
            "method": self.command,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in self.headers.items()
            ],
            "client": self.client_address[:2],
            "server": (str(host), int(port)),
        }

    async def _call(self, body: bytes) -> None:
        done = asyncio.Event()
        sent_body = False
        state: dict[str, Any] = {"chunked": False, "started": False}

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._begin(message, state)
            elif message["type"] == "http.response.body":
                self._body(message, state)

        try:
            await self.app(self._scope(), receive, send)
        except Exception:
            # Starlette re-raises after sending its 500; a fault before that gets one here.
            if not state["started"]:
                self.send_error(500, "Internal server error")
            self.close_connection = True
        finally:
            done.set()
        self.wfile.flush()

    def _begin(self, message: Message, state: dict[str, Any]) -> None:
        headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", [])]
        names = {k for k, _ in headers}
        if (b"connection", b"close") in [(k, v.lower()) for k, v in headers]:
            self.close_connection = True
        if b"content-length" not in names and self.command != "HEAD":
            if self.request_version == "HTTP/1.1":
                headers.append((b"transfer-encoding", b"chunked"))
                state["chunked"] = True
            else:
                # HTTP/1.0 has no chunks: the end of the body is the end of the connection.
                self.close_connection = True
        self._start(int(message["status"]), headers)
        state["started"] = True

    def _body(self, message: Message, state: dict[str, Any]) -> None:
        data = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.command == "HEAD":
            return
        if state["chunked"]:
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            if not more:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)

    def _start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.send_response_only(status)
        stock = [(b"date", formatdate(usegmt=True).encode()), (b"server", b"refserver")]
        for name, value in stock + headers:
            self.send_header(header_name(name.decode("latin-1")), value.decode("latin-1"))
        self.end_headers()


def make_server(
    app: ASGIApp, host: str, port: int, certfile: str = "", keyfile: str = ""
) -> ThreadingHTTPServer:
    """A bound server for `app` (port 0: a free one), over TLS when given a certificate and its
    key; `serve_forever()` serves it until `shutdown()`."""
    handler = type("BoundHandler", (Handler,), {"app": staticmethod(app)})

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        request_queue_size = 128
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            # The default prints a traceback naming the client: say nothing.
            pass

    server = Server((host, port), handler)
    if certfile:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certfile, keyfile or None)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    return server
