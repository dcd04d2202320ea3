"""Connection plumbing under the guarded session: a transport adapter that can cut its
connections (how a total deadline is enforced on a server that drips), and the test of whether
a failed request ever reached the target (only those that did not may be retried)."""

from __future__ import annotations

import contextlib
import socket
import weakref
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError


class TrackingAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections are remembered, so a watchdog can shut their sockets:
    a socket time-out bounds each read, not the exchange, and a drip never trips it."""

    def __init__(self, **kwargs: Any) -> None:
        self.live: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        super().__init__(max_retries=0, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        live = self.live

        class Conn(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                live.add(self)

        class TLSConn(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                live.add(self)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TLSPool(HTTPSConnectionPool):
            ConnectionCls = TLSConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

    def cut(self) -> None:
        """Shut every connection's socket: a blocked read returns at once with an error."""
        for conn in list(self.live):
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def never_reached(exc: BaseException | None) -> bool:
    """True when the request cannot have reached the target: the connection was never made."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, NewConnectionError | ConnectTimeoutError | NameResolutionError):
            return True
        if isinstance(exc, ConnectionRefusedError):
            return True
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = getattr(exc, "reason", None) or inner or exc.__cause__ or exc.__context__
    return False
