"""`make selftest`'s overlapped phases: both run to the end, a progress line comes while they
run (a silent eight minutes looks hung), each log is shown whole afterwards, and a failing
phase is reported with its exit status."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tooling.selftest import Phase, overlap, progress


def test_progress_reads_the_last_mark(tmp_path: Path) -> None:
    log = tmp_path / "log"
    assert progress(log) == ""
    log.write_text("tests/a.py ....   [ 12%]\ntests/b.py ..  [ 61%]\n[3/288] x: passes\n")
    assert progress(log) == "3/288"


def test_both_phases_run_with_progress_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = "import sys, time\nfor i in range(1, 5):\n    print(f'[{i}/4] step', flush=True); time.sleep(0.3)\n"
    phases = [
        Phase("slow", [sys.executable, "-c", slow]),
        Phase("failing", [sys.executable, "-c", "import sys; print('[ 50%]'); sys.exit(3)"]),
    ]
    logs = [tmp_path / "slow.log", tmp_path / "failing.log"]
    overlap(phases, logs, every=0.4)
    out = capsys.readouterr().out
    assert [p.code for p in phases] == [0, 3]
    assert "failing done (exit 3)" in out  # progress while the slow one still ran
    assert "slow " in out.split("=====")[0]
    assert "===== slow" in out and "[4/4] step" in out and "===== failing" in out
