"""A forward proxy of our own on loopback, for the selftests that put one in front of a target:
it accepts connections on a thread, reads one absolute-form request per connection, and hands
it to the subclass's `answer`; `use` makes it the process's HTTP_PROXY (and HTTPS_PROXY)."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

import pytest

# Variables that would route around, or through another, proxy.
_OTHER_PROXIES = ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy", "https_proxy")


@dataclass(frozen=True)
class Asked:
    """One request as the proxy read it."""

    method: str
    target: str
    version: str
    fields: list[str]
    body: bytes

    def length(self) -> int:
        return next(
            (
                int(f.split(":", 1)[1])
                for f in self.fields
                if f.lower().startswith("content-length:")
            ),
            0,
        )


class LoopbackProxy:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def answer(self, conn: socket.socket, asked: Asked) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            line, *fields = head.decode("latin-1").split("\r\n")
            method, target, version = line.split(" ")
            asked = Asked(method, target, version, fields, body)
            if method != "CONNECT":
                while len(body) < asked.length():
                    body += conn.recv(65536)
                asked = Asked(method, target, version, fields, body)
            self.answer(conn, asked)

    def use(self, monkeypatch: pytest.MonkeyPatch, https: bool = False) -> None:
        for name in _OTHER_PROXIES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", self.url)
        if https:
            monkeypatch.setenv("HTTPS_PROXY", self.url)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(timeout=5)
