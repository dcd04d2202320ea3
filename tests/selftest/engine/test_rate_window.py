"""The rate limit's two sides, against scripted targets: a fixed window that ends in the middle
of the first burst is recognised and the burst repeated, never failed; a server that serves one
request too many in every fresh window fails `rate.limit`; one that refuses request N fails it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.selftest.suite_runner import run_suite

KEY, OTHER = "cc_window_a1b2c3d4e5f6", "cc_window_b1b2c3d4e5f6"
LIMIT = 3
QUIET = 0.9  # a gap this long starts a new window (the suite idles RATE_WINDOW=1 s)


class Scripted(BaseHTTPRequestHandler):
    """A fixed window that starts with the first request after a quiet second (the suite's
    RATE_WINDOW here), allowing `script[i]` requests in the i-th window: a script of N+2 then N
    is a window that ended inside the first burst."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        key = self.headers.get("x-api-key")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if key not in (KEY, OTHER):
            return self.reply(401, {"message": "no", "code": "UNAUTHORIZED"})
        quiet = body is None or (isinstance(body, dict) and "templateId" in body)
        if key == KEY and quiet:
            with server.lock:  # type: ignore[attr-defined]
                now = time.monotonic()
                if now - server.last >= QUIET:  # type: ignore[attr-defined]
                    server.count = 0  # type: ignore[attr-defined]
                    server.allowed = server.script.pop(0) if server.script else LIMIT  # type: ignore[attr-defined]
                server.last = now  # type: ignore[attr-defined]
                server.count += 1  # type: ignore[attr-defined]
                if server.count > server.allowed:  # type: ignore[attr-defined]
                    return self.reply(
                        429, {"message": "slow", "code": "RATE_LIMIT_EXCEEDED", "retryAfter": 1}
                    )
        if body == {}:
            error = {"path": ["name"], "message": "required", "code": "required"}
            return self.reply(
                422, {"message": "bad", "code": "VALIDATION_ERROR", "errors": [error]}
            )
        return self.reply(404, {"message": "no such template", "code": "NOT_FOUND"})

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.count = 0  # type: ignore[attr-defined]
    server.allowed = LIMIT  # type: ignore[attr-defined]
    server.last = 0.0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run(server: ThreadingHTTPServer, tmp_path: Path, script: list[int]):
    server.script = script  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{server.server_address[1]}"
    return run_suite(
        tmp_path,
        "-m",
        "rate_limit",
        BASE_URL=url,
        API_KEY=KEY,
        OTHER_API_KEY=OTHER,
        RATE_LIMIT=str(LIMIT),
        RATE_WINDOW="1",
    )


def failed_rules(result) -> set[str]:
    return {row.rule for row in result.conformance().rules if row.failed}


def test_a_window_ending_mid_burst_is_repeated_not_failed(scripted, tmp_path: Path) -> None:
    # First burst: the window ended inside it, so N+1 pass; the second, fresh, is exact.
    result = run(scripted, tmp_path, [LIMIT + 2, LIMIT])
    assert result.code == 0, result.output[-3000:]


def test_one_too_many_in_every_window_fails(scripted, tmp_path: Path) -> None:
    result = run(scripted, tmp_path, [LIMIT + 1] * 10)
    assert result.code == 1 and "rate.limit" in failed_rules(result), result.output[-3000:]


def test_refusing_request_n_fails(scripted, tmp_path: Path) -> None:
    result = run(scripted, tmp_path, [LIMIT - 1] * 10)
    assert result.code == 1 and "rate.limit" in failed_rules(result), result.output[-3000:]
