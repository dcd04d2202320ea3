"""The fork server runs the suite as a fresh interpreter does: the same report on the clean
reference server (rules, verdicts, request and campaign counts, exit status), and the same
time-out, which stops the run's whole process group."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tooling.childenv import child_env
from tooling.childrun import ForkServer, run_suite

ENV = {"SEED": "20261126", "DERANDOMIZE": "1", "PYTHONHASHSEED": "0"}


def test_a_forked_run_reports_what_a_fresh_interpreter_reports(tmp_path: Path) -> None:
    env = child_env(**ENV)
    with ForkServer(child_env(PYTHONHASHSEED="0")) as forks:
        assert forks.serves({**env, "REPORTS_DIR": "x"})
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


def test_a_forked_run_is_stopped_at_its_time_out_with_its_group(tmp_path: Path) -> None:
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
    with ForkServer(child_env()) as forks:
        started = time.monotonic()
        code, _ = forks.run([str(test), "-p", "no:cacheprovider"], child_env(), timeout=4.0)
        took = time.monotonic() - started
    assert code is None and took < 20, (code, took)
    grandchild = int(marker.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "the run's own child outlived its time-out"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent, the stopped run, no longer waits for it).
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text(encoding="utf-8")
