"""Every way an exchange can fail is one kind and one line (conformance.wire.faults), table
driven against real loopback servers; and the client's duties: interim 1xx responses skipped
up to the final one, no cookie jar, ambiguous framing a transport fault (RFC 9112 §6.3)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import urllib3

from conformance.run.ledger import Ledger
from conformance.settings import Settings
from conformance.wire.faults import classify
from conformance.wire.session import GuardedSession, TransportFault
from tests.selftest.engine.guarded import guarded
from tests.selftest.engine.hostile import servers
from tests.selftest.engine.hostile.wire import (
    PATH,
    PREFLIGHT_ANSWER,
    Behaviour,
    Conn,
    HostileServer,
    response,
)
from tests.selftest.suite_runner import run_suite

OK = b'{"campaign": {"name": "x"}}'
JSON = [("Content-Type", "application/json")]


def raw(data: bytes, keep: bool = False) -> Behaviour:
    """These bytes as the answer to every request, then hang up (or keep the connection)."""
    return lambda request, conn, server: conn.send(data) and keep


def _session(url: str, **changes: object) -> tuple[GuardedSession, Ledger]:
    settings = Settings(base_url=url, api_key="cc_faults_x").with_target(
        request_timeout=1.5, transport_retries=0, **changes
    )
    return guarded(settings)


def _fault(url: str, **changes: object) -> TransportFault:
    session, ledger = _session(url, **changes)
    with pytest.raises(TransportFault) as caught:
        session.post(url + PATH, json={})
    assert ledger.transport_errors, "the fault was not counted"
    line = str(caught.value)
    assert "\n" not in line and "Traceback" not in line, line
    return caught.value


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# (case, behaviour of the loopback server, kind, settings changes)
SERVED: list[tuple[str, Behaviour, str, dict[str, object]]] = [
    ("not HTTP at all", raw(b"HELLO THERE\r\n\r\n"), "framing", {}),
    ("status line too long", raw(b"HTTP/1.1 201 " + b"x" * 70000 + b"\r\n\r\n"), "framing", {}),
    (
        "more than 100 headers",
        raw(response(201, OK, [*JSON, *((f"X-H{i}", "v") for i in range(150))])),
        "framing",
        {},
    ),
    (
        "conflicting Content-Length",
        raw(response(201, OK, [*JSON, ("Content-Length", "27"), ("Content-Length", "5")])),
        "framing",
        {},
    ),
    (
        "Transfer-Encoding and Content-Length",
        raw(
            response(
                201,
                b"1b\r\n" + OK + b"\r\n0\r\n\r\n",
                [*JSON, ("Transfer-Encoding", "chunked"), ("Content-Length", "27")],
            )
        ),
        "framing",
        {},
    ),
    (
        "bad chunk size",
        raw(response(201, b"zz\r\n" + OK, [*JSON, ("Transfer-Encoding", "chunked")])),
        "framing",
        {},
    ),
    ("closed without an answer", raw(b""), "reset", {}),
    ("closed mid-body", servers.reset_mid_body(), "reset", {}),
    (
        "chunked body ends early",
        raw(response(201, b"1b\r\n{", [*JSON, ("Transfer-Encoding", "chunked")])),
        "reset",
        {},
    ),
    ("drip past the deadline", servers.drip(), "deadline", {}),
    ("no answer at all", servers.stall(), "deadline", {}),
    (
        "over MAX_BODY",
        raw(response(201, b"[" + b"0," * 600 + b"0]", JSON)),
        "size",
        {"max_body": 1000},
    ),
    (
        "gzip over MAX_BODY once decoded",
        raw(response(201, gzip.compress(b" " * 5000), [*JSON, ("Content-Encoding", "gzip")])),
        "size",
        {"max_body": 1000},
    ),
    ("says gzip, is not", servers.bad_gzip(), "decoding", {}),
]


@pytest.mark.parametrize(
    ("case", "behaviour", "kind", "changes"), SERVED, ids=[c[0] for c in SERVED]
)
def test_each_fault_is_one_kind(
    case: str, behaviour: Behaviour, kind: str, changes: dict[str, object]
) -> None:
    # The misbehaviours of `servers` answer a preflight first: mark it taken.
    with HostileServer(behaviour, api_key="none") as server:
        server.preflight_phase = False
        assert _fault(server.url, **changes).kind == kind


def test_tls_to_a_plain_http_server_is_a_tls_fault() -> None:
    """The first bytes the handshake reads are a plain HTTP answer: not TLS at all."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_plainly() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.recv(1024)

    thread = threading.Thread(target=answer_plainly, daemon=True)
    thread.start()
    try:
        fault = _fault(f"https://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        listener.close()
        thread.join(timeout=5)
    assert fault.kind == "tls", fault


def test_refused_is_one_kind_and_never_sent() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    session, ledger = _session(url)
    with pytest.raises(TransportFault) as caught:
        session.post(url + PATH, json={})
    assert caught.value.kind == "refused"
    assert ledger.sent == 0  # it never reached the target: not counted as sent, retryable


def test_proxy_that_refuses_is_a_proxy_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    with HostileServer(raw(response(201, OK, JSON)), api_key="none") as server:
        assert _fault(server.url).kind == "proxy"
        assert not server.requests  # nothing reached the target


# The library's own exceptions for what loopback cannot stage (a resolver, a black hole).
BUILT: list[tuple[str, Callable[[], BaseException], str]] = [
    (
        "name does not resolve",
        lambda: urllib3.exceptions.NameResolutionError(
            "nowhere.invalid", None, socket.gaierror(-2, "Name or service not known")
        ),
        "dns",
    ),
    (
        "connect time-out",
        lambda: urllib3.exceptions.ConnectTimeoutError(None, "timed out"),
        "connect-timeout",
    ),
    ("a TimeoutError of the socket", lambda: TimeoutError("timed out"), "deadline"),
    ("anything else", lambda: urllib3.exceptions.LocationParseError("x"), "other"),
]


@pytest.mark.parametrize(("case", "make", "kind"), BUILT, ids=[c[0] for c in BUILT])
def test_each_unstageable_fault_is_one_kind(
    case: str, make: Callable[[], BaseException], kind: str
) -> None:
    exc = make()
    wrapped = urllib3.exceptions.MaxRetryError(None, "/v2/campaigns", exc)  # as requests sees it
    assert classify(wrapped)[0] == kind


def _interim(request, conn: Conn, server) -> bool:
    interim = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    interim += b"HTTP/1.1 102 Processing\r\n\r\n"
    return conn.send(interim + response(201, OK, JSON))


def test_interim_responses_are_skipped_to_the_final_one() -> None:
    """RFC 9110 §15.2: a client MUST parse one or more 1xx responses before the final one."""
    with HostileServer(_interim, api_key="none") as server:
        session, _ = _session(server.url)
        first = session.post(server.url + PATH, json={})
        second = session.post(server.url + PATH, json={})  # the same connection, still in step
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == {"campaign": {"name": "x"}}


def _cookie(request, conn: Conn, server) -> bool:
    fields = [*JSON, ("Set-Cookie", "session=target-chose-this; Path=/")]
    return conn.send(response(201, OK, fields))


def test_no_cookie_is_ever_sent_back() -> None:
    with HostileServer(_cookie, api_key="none") as server:
        session, _ = _session(server.url)
        for _ in range(3):
            session.post(server.url + PATH, json={})
    assert len(server.requests) == 3
    assert all("cookie" not in r.headers for r in server.requests), server.requests[-1].headers
    assert not session.cookies


def _conflicting_length(request, conn: Conn, server) -> bool:
    if server.take_preflight(request):
        return conn.send(PREFLIGHT_ANSWER)
    fields = [*JSON, ("Content-Length", "27"), ("Content-Length", "5")]
    return conn.send(response(201, OK, fields))


def test_transport_faults_are_grouped_lines_not_tracebacks(tmp_path: Path) -> None:
    """The suite as a user runs it: a target whose every answer after the preflight is framed
    ambiguously is exit 6, one line per kind in the terminal and the reports, no traceback."""
    with HostileServer(_conflicting_length, api_key="cc_faults_grouped") as server:
        run = run_suite(
            tmp_path, BASE_URL=server.url, API_KEY="cc_faults_grouped", MAX_REQUESTS="8"
        )
    assert run.code in (6, 7), run.output[-3000:]
    assert "Traceback" not in run.output and "session.py" not in run.output, run.output[-3000:]
    assert "wire/" not in run.output, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("FAULT ")]
    assert len(lines) == 1 and lines[0].startswith("FAULT framing ("), lines
    assert "RFC 9112" in lines[0], lines
    md = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert "## Transport faults" in md and "- `framing`: " in md
    groups = run.conformance().requests.transport_faults
    assert [g.kind for g in groups] == ["framing"] and groups[0].count >= 1
