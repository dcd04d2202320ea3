"""Connection plumbing under the guarded session: a transport adapter that can cut its
connections (how a total deadline is enforced on a server that drips), direct or through a
proxy; responses read past interim 1xx answers; and the test of whether a failed request ever
reached the target (only those that did not may be retried)."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import weakref
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager

from conformance.wire.faults import causes

# A bound on interim responses before the final one: a target that sends them forever is a
# framing fault, not a loop (the total deadline would cut it too).
MAX_INTERIM = 20


class FinalResponse(http.client.HTTPResponse):
    """RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx responses received prior
    to a final response". http.client skips only 100 Continue; every other interim answer (102
    Processing, 103 Early Hints, ...) is skipped here too, at the depth where the status line is
    read. 101 Switching Protocols is final (the suite never asks to upgrade)."""

    def _read_status(self) -> tuple[str, int, str]:
        for _ in range(MAX_INTERIM):
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 101 < status < 200:
                return version, status, reason
            http.client._read_headers(self.fp)  # type: ignore[attr-defined]
        raise http.client.HTTPException(f"more than {MAX_INTERIM} interim 1xx responses")


class TrackingAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections are remembered, so a watchdog can shut their sockets:
    a socket time-out bounds each read, not the exchange, and a drip never trips it. The proxy
    managers get the same connections, so a deadline holds through a proxy exactly as direct."""

    def __init__(self, **kwargs: Any) -> None:
        # The connections of each thread (a batch of concurrent requests has one a thread): a
        # deadline cuts its own request's, never another's.
        self.live: dict[int, weakref.WeakSet[HTTPConnection]] = {}
        self._lock = threading.Lock()
        super().__init__(max_retries=0, **kwargs)

    def _track(self, conn: HTTPConnection) -> None:
        with self._lock:
            self.live.setdefault(threading.get_ident(), weakref.WeakSet()).add(conn)

    def _pool_classes(self) -> dict[str, type[HTTPConnectionPool]]:
        track = self._track

        class Conn(HTTPConnection):
            response_class = FinalResponse

            def connect(self) -> None:
                track(self)  # before connecting: a slow connect (or proxy CONNECT) is cut too
                super().connect()

        class TLSConn(HTTPSConnection):
            response_class = FinalResponse

            def connect(self) -> None:
                track(self)
                super().connect()

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

            def _put_conn(self, conn: Any) -> None:
                _one_exchange_per_connection(self, conn)

        class TLSPool(HTTPSConnectionPool):
            ConnectionCls = TLSConn

            def _put_conn(self, conn: Any) -> None:
                _one_exchange_per_connection(self, conn)

        return {"http": Pool, "https": TLSPool}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not getattr(manager, "tracked", False):  # requests caches one manager per proxy
            manager.pool_classes_by_scheme = self._pool_classes()
            manager.tracked = True  # type: ignore[attr-defined]
        return manager

    def cut(self, thread: int) -> None:
        """Shut the socket of every connection `thread` opened: a blocked read returns at once
        with an error."""
        with self._lock:
            conns = list(self.live.pop(thread, ()))
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def forget(self, thread: int) -> None:
        """The thread's exchange is over: its connections are closed already."""
        with self._lock:
            self.live.pop(thread, None)


def _one_exchange_per_connection(pool: HTTPConnectionPool, conn: Any) -> None:
    """A connection is closed once its exchange is read, never reused. RFC 9112 §9.5 lets the
    peer close an idle connection at any time, and a proxy that closes after every answer
    without `Connection: close` does: a POST written on such a connection is lost or reset,
    and since it may have reached the target it cannot be sent again (§9.3.1: a user agent MUST
    NOT retry a non-idempotent request without a means to know it was never applied). So the
    session sends `Connection: close` (§9.6) and keeps no connection: a fresh one per request
    costs a handshake, which the target's rate limit makes negligible, and no false fault."""
    if conn is not None:
        conn.close()
    HTTPConnectionPool._put_conn(pool, None)  # the slot goes back to the pool, empty


def never_reached(exc: BaseException | None) -> bool:
    """True when the request cannot have reached the target: the connection was never made, or
    the target's certificate was refused (verification ends the handshake before a byte of
    the request is sent)."""
    never = (NewConnectionError, ConnectTimeoutError, NameResolutionError, ConnectionRefusedError)
    tls = (ssl.SSLCertVerificationError, ssl.CertificateError)
    return any(isinstance(e, never + tls) for e in causes(exc))
