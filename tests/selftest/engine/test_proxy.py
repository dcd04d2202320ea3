"""Through HTTP_PROXY, as in requests (NO_PROXY honoured): the total per-exchange deadline, the
body cap and the redirect rule hold exactly as direct. A small forward proxy of our own
(threaded, loopback, streaming) stands in front of a slow target."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from conformance.settings import Settings
from conformance.wire.session import TransportFault
from tests.selftest.engine.guarded import guarded
from tests.selftest.engine.hostile import servers
from tests.selftest.engine.hostile.wire import PATH, Behaviour, HostileServer, response
from tests.selftest.engine.loopback_proxy import Asked, LoopbackProxy

OK = b'{"campaign": {"name": "x"}}'


class ForwardProxy(LoopbackProxy):
    """Reads one absolute-form request per connection, sends it on to its origin and streams
    the answer back byte for byte as it comes (a drip stays a drip)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.piped: list[bytes] = []
        super().__init__()

    def answer(self, conn: socket.socket, asked: Asked) -> None:
        self.seen.append(f"{asked.method} {asked.target}")
        if asked.method == "CONNECT":
            self._tunnel(conn, asked.target)
            return
        url = urlsplit(asked.target)
        kept = [f for f in asked.fields if not f.lower().startswith(("connection", "proxy-"))]
        out = f"{asked.method} {url.path} {asked.version}\r\n" + "".join(f"{f}\r\n" for f in kept)
        out += "Connection: close\r\n\r\n"
        with socket.create_connection((url.hostname, url.port), timeout=10) as up:
            up.sendall(out.encode("latin-1") + asked.body)
            while not self.stop.is_set() and (chunk := up.recv(65536)):
                conn.sendall(chunk)

    def _tunnel(self, conn: socket.socket, target: str) -> None:
        """CONNECT: a blind pipe both ways; whatever crosses it is kept, to show it is TLS."""
        host, port = target.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as up:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

            def pipe(src: socket.socket, dst: socket.socket) -> None:
                with contextlib.suppress(OSError):
                    while not self.stop.is_set() and (chunk := src.recv(65536)):
                        self.piped.append(chunk)
                        dst.sendall(chunk)
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

            back = threading.Thread(target=pipe, args=(up, conn), daemon=True)
            back.start()
            pipe(conn, up)
            back.join(timeout=15)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    forward = ForwardProxy()
    forward.use(monkeypatch, https=True)
    yield forward
    forward.close()


def _post(url: str, **changes: object) -> tuple[float, object]:
    settings = Settings(base_url=url, api_key="cc_proxy_x").with_target(
        request_timeout=2.0, transport_retries=0, **changes
    )
    session = guarded(settings)[0]
    began = time.monotonic()
    try:
        outcome: object = session.post(url + PATH, json={})
    except TransportFault as fault:
        outcome = fault
    return time.monotonic() - began, outcome


def _target(behaviour: Behaviour) -> HostileServer:
    server = HostileServer(behaviour, api_key="none")
    server.preflight_phase = False  # the servers' misbehaviours start at once
    return server


def test_deadline_holds_through_the_proxy(proxy: ForwardProxy) -> None:
    with _target(servers.drip(seconds=8)) as target:  # bounded, should the deadline not hold
        took, outcome = _post(target.url)
    assert proxy.seen == [f"POST {target.url}{PATH}"], "the request did not go through the proxy"
    assert isinstance(outcome, TransportFault) and outcome.kind == "deadline", outcome
    assert took < 2.0 + 1.0, f"a drip through the proxy ran {took:.1f}s, REQUEST_TIMEOUT=2"


def test_body_cap_holds_through_the_proxy(proxy: ForwardProxy) -> None:
    big = response(201, b"[" + b"0," * 5000 + b"0]", [("Content-Type", "application/json")])
    with _target(lambda request, conn, server: conn.send(big) and False) as target:
        _, outcome = _post(target.url, max_body=1000)
    assert proxy.seen
    assert isinstance(outcome, TransportFault) and outcome.kind == "size", outcome


def test_redirect_is_not_followed_through_the_proxy(proxy: ForwardProxy) -> None:
    with _target(servers.redirect(302, "http://127.0.0.1:9/elsewhere")) as target:
        _, outcome = _post(target.url)
    assert getattr(outcome, "status_code", None) == 302, outcome
    assert len(proxy.seen) == 1  # the Location was never asked for


def test_no_proxy_goes_direct(proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    ok = response(201, OK, [("Content-Type", "application/json")])
    with _target(lambda request, conn, server: conn.send(ok)) as target:
        _, outcome = _post(target.url)
    assert getattr(outcome, "status_code", None) == 201, outcome
    assert not proxy.seen and len(target.requests) == 1


class TLSDrip:
    """An HTTPS target that answers headers at once, then one byte a second (bounded)."""

    def __init__(self, tmp: Path, ca: trustme.CA) -> None:
        cert = ca.issue_cert("127.0.0.1")
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.tls)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.heads: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            raw, _ = self.listener.accept()
            with self.tls.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(10)
                self.heads.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n")
                conn.sendall(b"Content-Length: 1000\r\n\r\n{")
                for _ in range(8):
                    time.sleep(1)
                    conn.sendall(b" ")

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=15)


def test_deadline_holds_through_an_https_proxy_tunnel(
    proxy: ForwardProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    target = TLSDrip(tmp_path, ca)
    try:
        took, outcome = _post(target.url)
    finally:
        target.close()
    assert proxy.seen == [f"CONNECT {target.url.removeprefix('https://')}"], proxy.seen
    assert target.heads and b"POST /v2/campaigns" in target.heads[0]
    assert isinstance(outcome, TransportFault) and outcome.kind == "deadline", outcome
    assert took < 2.0 + 1.0, f"a drip through the tunnel ran {took:.1f}s, REQUEST_TIMEOUT=2"
    # The key crossed the proxy only inside TLS, to the target's origin.
    assert not any(b"cc_proxy_x" in chunk for chunk in proxy.piped)
