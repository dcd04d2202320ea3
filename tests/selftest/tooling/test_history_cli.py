"""`make history`: one line per run of the target, new and fixed against the run before."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reports import history
from tests.selftest.engine.test_history_store import record
from tooling.history import main

TARGET = "https://staging.example"


def test_one_line_per_run_with_new_fixed_and_p95(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.sqlite"
    for n, broken in enumerate([(), ("semantic.empty",), ("semantic.echo",)], 1):
        history.remember(db, record(n, *broken, target=TARGET), keep=365)
    assert main(["--db", str(db), "--target", TARGET, "--last", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"the last 2 run(s) of {TARGET}")
    second, third = out[1:]
    assert second.startswith("2026-11-02T03:17:00Z  exit 0  broken 1 (semantic.empty)")
    assert "new semantic.empty  fixed -" in second and "p95 20.0 ms" in second
    assert "new semantic.echo  fixed semantic.empty" in third and third.endswith("run run0003")


def test_an_unknown_target_lists_the_recorded_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.sqlite"
    history.remember(db, record(1, target=TARGET), keep=365)
    assert main(["--db", str(db), "--target", "https://other.example"]) == 0
    assert f"targets recorded: {TARGET}" in capsys.readouterr().out
