"""The suite against hostile targets: one misbehaviour per loopback server, the real suite as a
subprocess, and the promises a user pointing it at production relies on: the documented exit
status (0 conforming, 1 findings, 6 transport faults, 7 not tested, 8 setup stop), bounded
time and memory, redirects never followed, and no form of any key anywhere.

Runtime: the drip, stall and keep-alive probes run with MAX_TIME=6 and REQUEST_TIMEOUT=2 (each
must outlast a few REQUEST_TIMEOUTs to prove the deadline holds, and the drip's byte a second
must come inside the socket's read time-out, so only the total deadline ends an exchange); the
throttle probes with MAX_TIME=8 (the promise is the outcome, not the size of the wall); the rest
stop at the preflight or a small MAX_REQUESTS. Every run has a hard wall (the child is killed
and the test fails), so the file never hangs.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.selftest.engine.hostile import servers
from tests.selftest.engine.hostile.watch import Watched, leaks_anywhere, run_watched
from tests.selftest.engine.hostile.wire import PATH, Behaviour, HostileServer
from tests.selftest.suite_runner import TEMPLATE, load_report

CANARY = "cc_canary_" + secrets.token_hex(10)
FORBIDDEN = CANARY + "_ro"
OTHER = CANARY + "_b"
KEYS = [CANARY, FORBIDDEN, OTHER]
# Python start-up, collection and report writing on top of a run's own budget.
SLACK = 25.0
DEADLINE_ENV = {"MAX_TIME": "6", "REQUEST_TIMEOUT": "2"}
MAX_TIME, REQUEST_TIMEOUT = (float(DEADLINE_ENV[k]) for k in ("MAX_TIME", "REQUEST_TIMEOUT"))
THROTTLE_MAX_TIME = 8
RETRIES = 2  # TRANSPORT_RETRIES' default
WRITTEN = ("junit.xml", "report.html", "conformance.md", "conformance.json", "run.json")
PEAK_KB = 400 * 1024
RULE_ID = re.compile(r"\[[a-z][a-z0-9_]*\.[a-z0-9_.]+\]")


def serve(behaviour: Behaviour) -> HostileServer:
    return HostileServer(behaviour, api_key=CANARY)


def suite(
    tmp_path: Path,
    server: HostileServer,
    wall: float,
    *args: str,
    past_preflight: bool = False,
    **extra: str,
) -> Watched:
    """The suite against `server`, our canary keys, a hard wall; never a leak, never killed.
    `past_preflight`: the probe misbehaves after the preflight, so the run must have sent more
    than it (else a run that crashed or stopped early would pass the probe's other checks)."""
    env = {
        "BASE_URL": server.url,
        "API_KEY": CANARY,
        "FORBIDDEN_API_KEY": FORBIDDEN,
        "OTHER_API_KEY": OTHER,
        "TEMPLATE_ID": TEMPLATE,
        **extra,
    }
    run = run_watched(tmp_path / "reports", wall + 5, *args, **env)
    assert not run.killed, f"the suite outlived its {wall:g}s wall: {run.summary()}"
    assert run.wall <= wall, f"took {run.wall:.1f}s, promised {wall:g}s: {run.summary()}"
    found = leaks_anywhere(run, KEYS)
    assert not found, f"key leaked: {found}\n{run.summary()}"
    if past_preflight:
        sent = len(server.requests)
        assert sent > 1, f"the run never got past the preflight ({sent} sent): {run.summary()}"
    return run


def preflight_stop(run: Watched, *words: str) -> None:
    """The run stopped at the preflight with one line saying why (words in that line)."""
    assert run.code == 8, run.summary()
    lines = [
        line
        for line in run.output.splitlines()
        if "preflight" in line.lower() and all(w in line.lower() for w in words)
    ]
    assert lines, f"no one-line preflight stop mentioning {words}: {run.summary()}"
    assert "Traceback" not in run.output, run.summary()


def failed_entries(run: Watched) -> list[str]:
    """Every finding the run counted against a rule (conformance.json), and every terminal line
    that judges: a FAILED summary line, or a line quoting a rule id (`[semantic.echo] ...`)."""
    report = load_report(run.reports / "conformance.json")
    entries = [json.dumps(asdict(f)) for row in report.rules for f in row.findings]
    return entries + [
        line
        for line in run.output.splitlines()
        if line.startswith("FAILED") or RULE_ID.search(line)
    ]


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("status", [307, 308, 302])
def test_redirect_is_a_preflight_stop_and_never_followed(tmp_path: Path, status: int) -> None:
    with serve(servers.receiver()) as receiver:
        location = f"http://127.0.0.1:{receiver.port}{PATH}"
        with serve(servers.redirect(status, location)) as server:
            run = suite(tmp_path, server, 60)
        assert receiver.requests == [], [r.headers for r in receiver.requests]
    preflight_stop(run, "redirect")


def test_redirect_with_the_key_in_location_does_not_echo_it(tmp_path: Path) -> None:
    location = f"http://127.0.0.1:{refused_port()}{PATH}?api_key={CANARY}&k={CANARY.upper()}"
    with serve(servers.redirect(307, location)) as server:
        run = suite(tmp_path, server, 60)
    preflight_stop(run)


# The whole suite spends its 40 requests before the auth tests; `-m auth` gets the other two
# keys (and the suite's own variants of them) sent, and so echoed.
@pytest.mark.parametrize("args", [(), ("-m", "auth")], ids=["all", "auth"])
def test_reflected_key_is_masked_everywhere(tmp_path: Path, args: tuple[str, ...]) -> None:
    with serve(servers.reflect_key()) as server:
        run = suite(tmp_path, server, 120, *args, past_preflight=True, MAX_REQUESTS="40")
    assert run.code != 0, run.summary()
    names = {p.name for p in run.report_files()}
    assert set(WRITTEN) <= names, f"reports missing: {set(WRITTEN) - names}"


UNANSWERED: dict[str, Callable[[], Behaviour]] = {
    "drip": lambda: servers.after_preflight(servers.drip()),
    "stall": lambda: servers.after_preflight(servers.stall()),
    "keepalive-hold": servers.keepalive_hold,
}


@pytest.mark.parametrize("probe", list(UNANSWERED))
def test_unanswered_requests_end_within_max_time(tmp_path: Path, probe: str) -> None:
    with serve(UNANSWERED[probe]()) as server:
        run = suite(tmp_path, server, MAX_TIME + SLACK, past_preflight=True, **DEADLINE_ENV)
    assert run.code in (6, 7), run.summary()
    assert (run.reports / "run.json").is_file(), "reports not written"


def test_drip_from_the_preflight_is_a_bounded_stop(tmp_path: Path) -> None:
    with serve(servers.drip()) as server:
        run = suite(
            tmp_path, server, REQUEST_TIMEOUT * (RETRIES + 1) + MAX_TIME + 14, **DEADLINE_ENV
        )
    preflight_stop(run)


@pytest.mark.parametrize("retry_after", [True, False], ids=["throttle-forever", "bare"])
def test_endless_throttling_is_not_tested_never_failed(tmp_path: Path, retry_after: bool) -> None:
    with serve(servers.throttle(retry_after)) as server:
        run = suite(tmp_path, server, THROTTLE_MAX_TIME + SLACK, MAX_TIME=str(THROTTLE_MAX_TIME))
    assert run.code in (7, 8), run.summary()
    assert "expected status 201, got 429" not in run.output, run.summary()


@pytest.mark.parametrize(
    ("behaviour", "names"),
    [
        (servers.reset_mid_body(), ("ChunkedEncodingError", "IncompleteRead", "ProtocolError")),
        (servers.bad_gzip(), ("ContentDecodingError", "DecodeError", "zlib.error")),
    ],
    ids=["reset-mid-body", "bad-gzip"],
)
def test_broken_framing_is_a_transport_fault(
    tmp_path: Path, behaviour: Behaviour, names: tuple[str, ...]
) -> None:
    with serve(behaviour) as server:
        run = suite(tmp_path, server, 120, past_preflight=True, MAX_REQUESTS="30")
    assert run.code == 6, run.summary()
    judged = [e for e in failed_entries(run) if any(n in e for n in names)]
    assert not judged, f"a transport fault counted as a conformance failure: {judged[:3]}"


def test_redirect_loop_is_never_followed(tmp_path: Path) -> None:
    with serve(servers.preflight_200()) as server:
        # The loop's Location is the server's own URL, known once it is bound.
        server.behaviour = servers.redirect(307, server.url + PATH)
        run = suite(tmp_path, server, 60)
        received = len(server.requests)
    preflight_stop(run, "redirect")
    assert received == 1, f"{received} requests: the redirect was followed"


@pytest.mark.parametrize(
    "factory", [servers.huge_body, servers.gzip_bomb], ids=["huge-body", "gzip-bomb"]
)
def test_huge_bodies_stay_within_memory(tmp_path: Path, factory: Callable[[], Behaviour]) -> None:
    behaviour = factory()  # the bomb is built here (about a second), not at collection
    with serve(behaviour) as server:
        # Ten requests, each body cut at the suite's cap; 120 s is room for a slow CI core.
        run = suite(tmp_path, server, 120, past_preflight=True, MAX_REQUESTS="10")
    assert run.peak_kb, "peak memory of the suite process could not be measured"
    assert run.peak_kb < PEAK_KB, f"peak {run.peak_kb // 1024} MB: {run.summary()}"
    assert run.code not in (0, 2, 3), run.summary()


def test_deep_json_is_judged_not_crashed(tmp_path: Path) -> None:
    with serve(servers.deep_json()) as server:
        run = suite(tmp_path, server, 120, past_preflight=True, MAX_REQUESTS="20")
    assert "RecursionError" not in run.output, run.summary()
    md = (run.reports / "conformance.md").read_text(encoding="utf-8")
    assert "too deep" in md or "not JSON" in md, md[-2000:]
    assert run.code == 1, run.summary()


def test_html_catch_all_is_a_preflight_stop(tmp_path: Path) -> None:
    with serve(servers.html_catch_all()) as server:
        run = suite(tmp_path, server, 30)
    preflight_stop(run)


def test_json_success_to_the_preflight_is_a_stop(tmp_path: Path) -> None:
    with serve(servers.preflight_200()) as server:
        run = suite(tmp_path, server, 60)
    assert run.code == 8, run.summary()
