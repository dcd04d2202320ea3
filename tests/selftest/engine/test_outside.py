"""The suite against a server it did not start, on the second HTTP stack, through a counting
proxy: it passes, only POST reaches the target, the reports count exactly what the target
received, and the lean gate stays within its cost (at most 150 requests, 30 campaigns); the
nightly and a small MAX_CAMPAIGNS create no more than their campaign budget, and created.json
lists exactly the target's 201s."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest.suite_runner import TEMPLATE, reference_server, run_suite

KEYS = EmbeddedKeys(
    "cc_outside_a1b2c3d4e5", "cc_outside_ro_a1b2c3", "cc_outside_b_a1b2c3", TEMPLATE
)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class Counting(BaseHTTPRequestHandler):
    """Forwards every request to the upstream server and remembers its method and path."""

    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        key = self.headers.get("x-api-key")
        upstream = http.client.HTTPConnection(*server.upstream, timeout=30)  # type: ignore[attr-defined]
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
        server.statuses.append(reply.status)  # type: ignore[attr-defined]
        server.log.append((time.monotonic(), key, reply.status))  # type: ignore[attr-defined]
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = _forward

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def counting_proxy(url: str) -> Iterator[ThreadingHTTPServer]:
    """A forwarding proxy to the server at `url` that counts what reaches it (see Counting)."""
    parts = urlsplit(url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    server.seen, server.statuses, server.log = [], [], []  # type: ignore[attr-defined]
    server.upstream = (parts.hostname, parts.port)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy() -> Iterator[ThreadingHTTPServer]:
    # The reference server on Python's http.server, the second HTTP stack.
    with reference_server(KEYS, stack="stdlib") as url, counting_proxy(url) as server:
        yield server


def outside(proxy: ThreadingHTTPServer, keys: EmbeddedKeys = KEYS) -> dict[str, str]:
    """The proxy as the target, with every optional input but the rate limit."""
    return {
        "BASE_URL": f"http://127.0.0.1:{proxy.server_address[1]}",
        "API_KEY": keys.api_key,
        "FORBIDDEN_API_KEY": keys.forbidden_api_key,
        "OTHER_API_KEY": keys.other_api_key,
        "TEMPLATE_ID": keys.template_id,
    }


def created_ids(reports: Path) -> list[str]:
    listed = json.loads((reports / "created.json").read_text(encoding="utf-8"))
    prefix = listed["name_prefix"]
    assert all(c["name_prefix"] in (prefix, None) for c in listed["campaigns"])
    return [c["id"] for c in listed["campaigns"]]


def test_outside_server_counts_and_cost(proxy: ThreadingHTTPServer, tmp_path: Path) -> None:
    run = run_suite(tmp_path, **outside(proxy))
    assert run.code == 0, run.output[-3000:]
    seen = proxy.seen  # type: ignore[attr-defined]
    report = run.conformance()
    assert {method for method, _ in seen} == {"POST"}
    assert {path for _, path in seen} == {"/v2/campaigns"}
    assert report.requests.sent == len(seen)
    assert len(seen) <= 150, len(seen)
    # The plan is an upper bound, the preflight and the vetting of every optional input included.
    planned = run.conformance().run.planned
    planned_requests, planned_campaigns = planned.requests, planned.campaigns
    assert len(seen) <= planned_requests, (len(seen), planned_requests)
    assert report.requests.campaigns_created <= planned_campaigns
    assert report.requests.campaigns_created <= 30
    assert proxy.statuses.count(201) == len(created_ids(tmp_path))  # type: ignore[attr-defined]


def test_the_nightly_keeps_its_campaign_budget(proxy: ThreadingHTTPServer, tmp_path: Path) -> None:
    """MAX_CAMPAIGNS=50 by default at the nightly: the depth goes to cases that create nothing.
    Fewer negative examples than the nightly's 200 (the budget, not EXAMPLES, bounds the
    positive cases: 60 asked for, what the budget leaves sent)."""
    run = run_suite(tmp_path, DEPTH="nightly", EXAMPLES="60", **outside(proxy))
    assert run.code == 0, run.output[-3000:]
    report = run.conformance()
    created = proxy.statuses.count(201)  # type: ignore[attr-defined]
    assert created == len(created_ids(tmp_path)) == report.requests.campaigns_created
    assert 40 <= created <= 50, created  # the positive property cases spend what is left
    assert report.requests.sent == len(proxy.seen)  # type: ignore[attr-defined]
    assert report.run.budget.max_campaigns == 50
    assert "campaign budget MAX_CAMPAIGNS=50" in run.output


def test_a_spent_campaign_budget_is_not_tested(proxy: ThreadingHTTPServer, tmp_path: Path) -> None:
    """Past MAX_CAMPAIGNS a case that would create one is not sent: not tested, never passed;
    the cases that create nothing still run."""
    run = run_suite(tmp_path, MAX_CAMPAIGNS="12", **outside(proxy))
    assert run.code == 7, run.output[-3000:]
    report = run.conformance()
    created = proxy.statuses.count(201)  # type: ignore[attr-defined]
    assert created == len(created_ids(tmp_path)) <= 12
    spent = [r for r in report.results if r.outcome == "not-tested"]
    assert spent and report.tests.failed == 0
    assert not report.run.not_covered  # not a stop: the rest of the run went on
    assert any(r.outcome == "passed" and "test_auth" in r.test for r in report.results)
    # The negative property cases create nothing: they run whatever the budget has left.
    assert any(r.outcome == "passed" and "test_negative" in r.test for r in report.results)
