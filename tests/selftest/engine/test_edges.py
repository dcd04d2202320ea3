"""Edges of real deployments: a password in BASE_URL, a proxy that closes after every answer
without saying so, a lone surrogate echoed back, and a crash at the end of a run."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from conformance.contract.rules import fact
from harness.embedded import EmbeddedKeys
from tests.selftest import suite_runner
from tests.selftest.engine.hostile.wire import HostileServer, Request, response
from tests.selftest.engine.loopback_proxy import Asked, LoopbackProxy
from tests.selftest.suite_runner import TEMPLATE, load_report, reference_server, run_suite

KEYS = EmbeddedKeys("cc_edge_main_4d5e6f", "cc_edge_ro_4d5e6f", "cc_edge_b_4d5e6f", TEMPLATE)
PASSWORD = "pw-Zq8rT3vX9k"


def _target(url: str) -> dict[str, str]:
    return suite_runner.every_key(url, KEYS)


def _everything(run_output: str, reports: Path) -> str:
    files = [p for p in reports.rglob("*") if p.is_file()]
    return run_output + "".join(p.read_bytes().decode("latin-1") for p in files)


def test_userinfo_in_base_url_is_a_stop_that_never_shows_the_password(tmp_path: Path) -> None:
    with reference_server(KEYS) as url:
        with_userinfo = url.replace("http://", f"http://operator:{PASSWORD}@")
        run = run_suite(tmp_path, **_target(with_userinfo))
    assert run.code == 8, run.output[-2000:]
    stop = [line for line in run.output.splitlines() if line.startswith("stopped:")]
    assert len(stop) == 1 and "x-api-key" in stop[0], run.output[-2000:]
    seen = _everything(run.output, tmp_path)
    basic = base64.b64encode(f"operator:{PASSWORD}".encode()).decode()
    for form in (PASSWORD, PASSWORD.upper(), quote(PASSWORD), basic, basic.rstrip("=")):
        assert form not in seen, f"the password leaked as {form!r}"
    assert load_report(tmp_path / "conformance.json").run.setup_error


class ClosingProxy(LoopbackProxy):
    """A forward proxy that answers one request per connection, keeps the connection looking
    alive (no `Connection: close`) and closes it a moment after the answer without reading
    more, as tinyproxy does: a client that reuses the connection has its request reset."""

    LINGER = 0.02

    def __init__(self) -> None:
        self.forwarded: dict[str, int] = {}  # by origin
        self.lock = threading.Lock()
        super().__init__()

    def answer(self, conn: socket.socket, asked: Asked) -> None:
        headers = {
            k.strip(): v.strip()
            for k, v in (f.split(":", 1) for f in asked.fields)
            if k.strip().lower() not in ("connection", "proxy-connection", "content-length")
        }
        with requests.Session() as direct:
            direct.trust_env = False  # not through HTTP_PROXY: that is this proxy
            upstream = direct.request(
                asked.method, asked.target, headers=headers, data=asked.body, timeout=10
            )
        with self.lock:
            parts = urlsplit(asked.target)
            origin = f"{parts.scheme}://{parts.netloc}"
            self.forwarded[origin] = self.forwarded.get(origin, 0) + 1
        dropped = ("connection", "content-length", "transfer-encoding", "content-encoding")
        kept = [(k, v) for k, v in upstream.headers.items() if k.lower() not in dropped]
        conn.sendall(response(upstream.status_code, upstream.content, kept))
        self.stop.wait(self.LINGER)  # what the client sends meanwhile is never read


@pytest.fixture
def closing_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClosingProxy]:
    proxy = ClosingProxy()
    proxy.use(monkeypatch)
    yield proxy
    proxy.close()


RUNS_BEHIND_THE_PROXY = 20


def test_a_proxy_that_closes_after_every_answer_causes_no_fault(
    tmp_path: Path, closing_proxy: ClosingProxy
) -> None:
    """20 runs out of 20 conforming, and the proxy forwarded exactly the requests each run
    counted: none was lost, none was sent twice."""
    with reference_server(KEYS) as url:
        for n in range(RUNS_BEHIND_THE_PROXY):
            before = closing_proxy.forwarded.get(url, 0)
            # The matrix and the auth probes: creating and refused requests, back to back.
            run = run_suite(tmp_path / str(n), "-m", "boundary or auth", **_target(url))
            assert run.code == 0, f"run {n}: {run.output[-3000:]}"
            report = load_report(tmp_path / str(n) / "conformance.json")
            assert report.requests.transport_faults == ()
            assert closing_proxy.forwarded[url] - before == report.requests.sent


SURROGATE = "\ud800"


def _surrogate_echo(reference: str) -> object:
    """A relay to the reference server whose 201s carry a lone surrogate in every echoed string
    field (a valid JSON escape, not a Unicode scalar value)."""

    def behave(request: Request, conn: object, server: HostileServer) -> bool:
        upstream = requests.post(
            reference + request.target,
            data=request.body,
            headers={k: v for k, v in request.headers.items() if k.lower() != "content-length"},
            timeout=10,
        )
        body = upstream.content
        if upstream.status_code == 201:
            data = json.loads(body)
            for name in fact("echoed"):
                if isinstance(data["campaign"].get(name), str):
                    data["campaign"][name] = SURROGATE
            body = json.dumps(data).encode()  # ASCII escapes: the surrogate as \ud800
        ctype = [("Content-Type", upstream.headers.get("content-type", "application/json"))]
        return conn.send(response(upstream.status_code, body, ctype))  # type: ignore[attr-defined]

    return behave


def test_a_lone_surrogate_is_shown_escaped_and_never_crashes_a_report(tmp_path: Path) -> None:
    with reference_server(KEYS) as url, HostileServer(_surrogate_echo(url)) as relay:  # type: ignore[arg-type]
        run = run_suite(tmp_path, **_target(relay.url))
    assert run.code == 1, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    report = load_report(tmp_path / "conformance.json")
    # Free-text fields break the echo; enum and UUID fields the response's schema too.
    broken = {r.rule for r in report.broken}
    assert broken == {"semantic.echo", "response.documented"}, broken
    for name in ("conformance.json", "conformance.md", "summary.html", "junit.xml", "run.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "\\ud800" in text or name == "run.json", name
    har = json.loads((tmp_path / "exchanges.har").read_text(encoding="utf-8"))
    assert har["log"]["entries"]
    assert "\\ud800" in run.output


def test_a_report_that_cannot_be_written_is_a_suite_error_and_the_rest_is_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "summary.html").mkdir(parents=True)  # summary.html cannot be written
    with reference_server(KEYS) as url:
        run = run_suite(tmp_path, "-m", "auth", **_target(url))
    assert run.code == 9, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if "SUITE ERROR at the end" in line]
    assert len(lines) == 1 and "writing summary.html" in lines[0], run.output[-3000:]
    assert "Traceback" not in run.output
    assert "IsADirectoryError" in (tmp_path / "suite-error.txt").read_text(encoding="utf-8")
    report = load_report(tmp_path / "conformance.json")
    assert report.run.exit_status == 9
    assert [e.test for e in report.suite_errors] == ["<end of run: writing summary.html>"]
    for name in ("conformance.md", "created.json", "run.json", "exchanges.har", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0, name


@pytest.mark.parametrize(
    ("body", "seen"),
    [
        ('{"code": "X"}'.encode("utf-16"), "a UTF-16 LE byte order mark"),
        ('{"code": "X"}'.encode("utf-16-be"), "NUL bytes in a pattern of UTF-16 BE"),
        ('{"code": "X"}'.encode("utf-16-le"), "NUL bytes in a pattern of UTF-16 LE"),
        ('{"code": "X"}'.encode("utf-32"), "a UTF-32 LE byte order mark"),
        (b"\xef\xbb\xbf{}", "a UTF-8 byte order mark"),
        (b'{"code": "caf\xe9"}', "bytes that are not UTF-8 (at byte 13)"),
        (b'\r\n {"code": "caf\xc3\xa9 \\ud800"}', ""),
    ],
)
def test_the_encoding_a_body_was_sent_in_is_named(body: bytes, seen: str) -> None:
    from conformance.checks.response import encoding_seen
    from conformance.wire.exchange import parse_json

    assert encoding_seen(body) == seen
    assert (parse_json(body)[1] == "") == (seen == "")
