"""The paced run against an outside server that enforces its limit, on a fixed window and on a
sliding one (a short window, so the runs take seconds): the run's own first window is the
burst of N, so the rate-limit check needs no quiet window and the run sends what it planned;
never more than the limit is admitted in any window; the server saw exactly what the reports
count; a key used just before the run costs a quiet window, never a false alarm."""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest.engine.test_outside import counting_proxy, outside
from tests.selftest.suite_runner import TEMPLATE, reference_server, run_suite

KEYS = EmbeddedKeys("cc_paced_a1b2c3d4e5", "cc_paced_ro_a1b2c3", "cc_paced_b_a1b2c3", TEMPLATE)
# The first window needs LIMIT requests within WINDOW seconds (5 a second: safe on a loaded
# machine, since make selftest runs beside the mutation check).
LIMIT, WINDOW = 30, 6.0
WINDOWS = {"fixed": None, "sliding": "sliding_window_rate_limit"}


@pytest.fixture(params=list(WINDOWS))
def proxy(request: pytest.FixtureRequest) -> Iterator[ThreadingHTTPServer]:
    with (
        reference_server(
            KEYS, rate_limit=LIMIT, rate_window=WINDOW, variant=WINDOWS[request.param]
        ) as url,
        counting_proxy(url) as server,
    ):
        yield server


def paced(proxy: ThreadingHTTPServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    return run_suite(
        tmp_path, **outside(proxy, KEYS), RATE_LIMIT=str(LIMIT), RATE_WINDOW=str(WINDOW)
    )


def admitted_in_any_window(log: list[tuple[float, str | None, int]]) -> int:
    """The most requests of one key the server admitted (not 429) within WINDOW seconds."""
    most = 0
    for key in {k for _, k, _ in log}:
        times = [t for t, k, status in log if k == key and status != 429]
        for i, start in enumerate(times):
            most = max(most, sum(1 for t in times[i:] if t < start + WINDOW))
    return most


def test_the_first_window_is_the_burst(proxy: ThreadingHTTPServer, tmp_path: Path) -> None:
    run = paced(proxy, tmp_path)
    assert run.code == 0, run.output[-3000:]
    report = run.conformance()
    log = proxy.log  # type: ignore[attr-defined]
    assert report.requests.sent == len(log)
    # N served, then N+1 refused, exactly once: the proof came from the run's first window.
    assert [status for _, _, status in log].count(429) == 2  # N+1, and the order probe
    planned = int(re.search(r"total\s+(\d+) requests", run.output).group(1))  # type: ignore[union-attr]
    assert report.requests.sent == planned
    assert admitted_in_any_window(log) <= LIMIT
    verdicts = {r.rule: r.verdict for r in report.rules}
    assert verdicts["rate.limit"] == verdicts["rate.per-key"] == verdicts["order"] == "passed"


def test_a_key_used_just_before_costs_a_window(proxy: ThreadingHTTPServer, tmp_path: Path) -> None:
    """Another process spent part of the key's window: an early 429 is waited out, and the
    check falls back to a quiet window and a burst of its own; no finding."""
    host, port = proxy.upstream  # type: ignore[attr-defined]
    for _ in range(LIMIT // 2):
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request(
            "POST", "/v2/campaigns", body=json.dumps({}), headers={"x-api-key": KEYS.api_key}
        )
        conn.getresponse().read()
        conn.close()
    run = paced(proxy, tmp_path)
    assert run.code == 0, run.output[-3000:]
    report = run.conformance()
    assert report.requests.throttled >= 1
    assert report.requests.sent == len(proxy.log)  # type: ignore[attr-defined]
    assert report.tests.failed == 0


def test_the_pace_never_waits_past_max_time(tmp_path: Path) -> None:
    """A wait the pace needs beyond MAX_TIME is the end of the run (not tested), not a request
    sent after the wall."""
    with reference_server(KEYS, rate_limit=2, rate_window=30.0) as url:
        started = time.monotonic()
        run = run_suite(
            tmp_path,
            BASE_URL=url,
            API_KEY=KEYS.api_key,
            RATE_LIMIT="2",
            RATE_WINDOW="30",
            MAX_TIME="4",
        )
        took = time.monotonic() - started
    assert run.code == 7, run.output[-3000:]
    assert took < 25, took  # the suite's start included; far from the 30 s window
    # The first window's 2, then the proof's N+1 (refused) and its order probe; nothing after.
    assert run.conformance().requests.sent <= 4
