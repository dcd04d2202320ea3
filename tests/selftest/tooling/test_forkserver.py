"""The fork server runs the suite as a fresh interpreter does: the same report on the clean
reference server (rules, verdicts, request and campaign counts, exit status), and the same
time-out, which stops the run's whole process group."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tooling.childenv import child_env
from tooling.childrun import ForkServer, run_suite

ENV = {"SEED": "20261126", "DERANDOMIZE": "1", "PYTHONHASHSEED": "0"}


def test_a_forked_run_reports_what_a_fresh_interpreter_reports(tmp_path: Path) -> None:
    env = child_env(**ENV)
    with ForkServer(child_env(PYTHONHASHSEED="0")) as forks:
        assert forks.serves({**env, "REPORTS_DIR": "x"}) and forks.launcher.ready
        forked = run_suite(tmp_path / "forked", "-q", env=env, forks=forks)
    fresh = run_suite(tmp_path / "fresh", "-q", env=env)
    assert (forked.code, fresh.code) == (0, 0), forked.output[-2000:] + fresh.output[-2000:]
    a, b = forked.conformance(), fresh.conformance()
    assert [(r.rule, r.verdict) for r in a.rules] == [(r.rule, r.verdict) for r in b.rules]
    assert [(r.test, r.outcome) for r in a.results] == [(r.test, r.outcome) for r in b.results]
    assert a.requests.sent == b.requests.sent > 100
    assert a.requests.campaigns_created == b.requests.campaigns_created
    assert a.tests == b.tests and a.verdicts == b.verdicts
    assert "PytestAssertRewriteWarning" not in forked.output


def _slow_test(tmp_path: Path) -> tuple[Path, Path]:
    """A test that starts a child of its own (as a run starts its servers) and sleeps."""
    marker = tmp_path / "grandchild.pid"
    test = tmp_path / "test_slow.py"
    test.write_text(
        "import subprocess, time\n"
        "def test_slow():\n"
        "    child = subprocess.Popen(['sleep', '60'])\n"
        f"    open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "    time.sleep(60)\n",
        encoding="utf-8",
    )
    return test, marker


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def test_closing_the_server_stops_a_run_still_going(tmp_path: Path) -> None:
    """An interrupted check (Ctrl-C) closes the server: the runs still going stop too, with
    what they started."""
    test, marker = _slow_test(tmp_path)
    forks = ForkServer(child_env(), warm_up=False)
    run = threading.Thread(
        target=forks.run, args=([str(test), "-p", "no:cacheprovider"], child_env(), 60.0)
    )
    run.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    started = time.monotonic()
    forks.close()
    run.join(timeout=30)
    assert not run.is_alive() and time.monotonic() - started < 8  # not the 10 s close wait
    assert _gone(int(marker.read_text(encoding="utf-8"))), "a run outlived its server"


def test_a_forked_run_is_stopped_at_its_time_out_with_its_group(tmp_path: Path) -> None:
    test, marker = _slow_test(tmp_path)
    with ForkServer(child_env(), warm_up=False) as forks:
        started = time.monotonic()
        code, _ = forks.run([str(test), "-p", "no:cacheprovider"], child_env(), timeout=4.0)
        took = time.monotonic() - started
    assert code is None and took < 20, (code, took)
    assert _gone(int(marker.read_text(encoding="utf-8"))), "a run's child outlived its time-out"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent, the stopped run, no longer waits for it).
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text(encoding="utf-8")
