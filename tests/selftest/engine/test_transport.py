"""The guarded session over real loopback HTTP: 429s waited out, transport faults counted and
retried within bounds, pacing at RATE_LIMIT, the budget enforced."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.run.ledger import Ledger
from conformance.settings import Settings
from conformance.wire.session import BudgetExhausted, GuardedSession, TransportFault
from tests.selftest.engine.guarded import guarded as make_guarded


class Scripted(BaseHTTPRequestHandler):
    """Answers with the next status of the server's script (then 201 forever)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        script: list[int] = self.server.script  # type: ignore[attr-defined]
        status = script.pop(0) if script else 201
        body: dict[str, object] = {"campaign": {"id": "c-1", "name": "cct-x"}}
        if status == 429:
            body = {"message": "slow down", "code": "RATE_LIMIT_EXCEEDED", "retryAfter": 0}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def scripted() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.script = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def session(url: str, **changes: object) -> tuple[GuardedSession, Ledger]:
    settings = Settings(base_url=url, api_key="cc_x").with_target(**changes)
    return make_guarded(settings)


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_429_is_waited_out_and_counted_not_failed(scripted: ThreadingHTTPServer) -> None:
    scripted.script = [429, 429]  # type: ignore[attr-defined]
    guarded, ledger = session(url_of(scripted))
    response = guarded.post(url_of(scripted) + "/v2/campaigns", json={})
    assert response.status_code == 201
    assert ledger.throttled == 2 and ledger.sent == 3


def test_rate_limit_probe_hands_the_429_back(scripted: ThreadingHTTPServer) -> None:
    scripted.script = [429]  # type: ignore[attr-defined]
    guarded, ledger = session(url_of(scripted))
    with guarded.rate_limit_probe():
        assert guarded.post(url_of(scripted) + "/v2/campaigns", json={}).status_code == 429
    assert ledger.throttled == 0


def test_refused_connection_is_a_transport_fault_after_bounded_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    guarded, ledger = session(f"http://127.0.0.1:{port}", transport_retries=2)
    with pytest.raises(TransportFault, match="after 3 attempt"):
        guarded.post(f"http://127.0.0.1:{port}/v2/campaigns", json={})
    assert len(ledger.transport_errors) == 3 and ledger.sent == 0


def test_pacing_keeps_each_window_within_the_limit(scripted: ThreadingHTTPServer) -> None:
    """A window's share goes back to back, the next request waits for the window to pass, and
    each key has its own window (the limit is per key)."""
    guarded, _ = session(url_of(scripted), rate_limit=3, rate_window=0.5, other_api_key="cc_y")
    url = url_of(scripted) + "/v2/campaigns"
    sent = []
    for key in ("cc_x",) * 4 + ("cc_y",):
        guarded.post(url, json={}, headers={"x-api-key": key})
        sent.append(time.monotonic())
    assert sent[2] - sent[0] < 0.3  # the first three at once
    assert sent[3] - sent[0] >= 0.5  # the fourth after the window
    assert sent[4] - sent[3] < 0.3  # another key is not held by this one's window


def test_budget_stops_before_the_request_past_it(scripted: ThreadingHTTPServer) -> None:
    guarded, ledger = session(url_of(scripted), max_requests=2)
    for _ in range(2):
        guarded.post(url_of(scripted) + "/v2/campaigns", json={})
    with pytest.raises(BudgetExhausted, match="MAX_REQUESTS=2"):
        guarded.post(url_of(scripted) + "/v2/campaigns", json={})
    assert ledger.sent == 2


def test_created_campaigns_are_recorded(scripted: ThreadingHTTPServer) -> None:
    guarded, ledger = session(url_of(scripted))
    scripted.script = [422, 201]  # type: ignore[attr-defined]
    for _ in range(2):
        guarded.post(url_of(scripted) + "/v2/campaigns", json={})
    assert [(c["id"], c["name"]) for c in ledger.created] == [("c-1", "cct-x")]


def test_time_budget_stops_the_run(scripted: ThreadingHTTPServer) -> None:
    guarded, ledger = session(url_of(scripted), max_time=0.05)
    time.sleep(0.1)
    with pytest.raises(BudgetExhausted, match="MAX_TIME"):
        guarded.post(url_of(scripted) + "/v2/campaigns", json={})
    assert ledger.sent == 0
