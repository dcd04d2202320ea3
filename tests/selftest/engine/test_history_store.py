"""The history store on its own (no server): labels for a known sequence, pruning, migration
stamps, a foreign / newer / locked / corrupt file, two processes writing at once, and the
History charts' geometry."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conformance.reports import history
from conformance.reports.compare import flaky
from conformance.reports.historychart import PLOT_H, TOP, latency_chart, rules_chart
from conformance.reports.model import History, Report, RunPoint
from tests.selftest.report_samples import sample
from tests.selftest.suite_runner import ROOT

SVG = "{http://www.w3.org/2000/svg}"
RULES = ("semantic.empty", "semantic.echo", "request.name")
DAY0 = date(2026, 10, 31)  # run n starts on the nth of November, and on into December


def report(n: int, broken: tuple[str, ...] = (), not_tested: tuple[str, ...] = ()) -> Report:
    """Run `n` of a sequence: these rules broken, these not tested, the rest passed."""
    rows: list[dict[str, Any]] = []
    for rule in RULES:
        verdict = "failed" if rule in broken else "not tested" if rule in not_tested else "passed"
        row: dict[str, Any] = {"rule": rule, "verdict": verdict, "cases": 1}
        if verdict == "failed":
            row |= {"failed": 1, "findings": [{"test": f"test_x[run{n:04d}]", "what": ["x"]}]}
        rows.append(row)
    return sample(
        {
            "run": {"run_id": f"run{n:04d}", "started": f"{DAY0 + timedelta(days=n)}T03:17:00Z"},
            "verdicts": {
                "failed": len(broken),
                "not_tested": len(not_tested),
                "passed": len(RULES) - len(broken) - len(not_tested),
            },
            "rules": rows,
        }
    )


def record(n: int, *broken: str, target: str = "https://staging.example") -> history.RunRecord:
    return history.RunRecord(
        report(n, broken), target, "c0ffee", "0.1.0", "gate", history.Latency.of([0.01 * n, 0.02])
    )


def test_a_scripted_sequence_is_labelled(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    seen: list[History] = []
    for n, broken in enumerate(
        [(), ("semantic.empty",), ("semantic.empty",), (), ("semantic.empty",)], 1
    ):
        seen.append(history.remember(db, record(n, *broken), keep=365))
    first, new, persisting, fixed, flaky_run = seen
    assert first.previous_run is None and first.labels == ()
    assert [(x.rule, x.label) for x in new.labels] == [("semantic.empty", "new")]
    label = persisting.labels[0]
    assert (label.label, label.since, label.runs) == ("persisting", "2026-11-02T03:17:00Z", 2)
    assert label.words == "persisting since 2026-11-02 (2 runs)"
    assert fixed.fixed == ("semantic.empty",) and fixed.labels == ()
    assert [x.label for x in flaky_run.labels] == ["flaky"]
    assert [p.run_id for p in flaky_run.runs] == [f"run{n:04d}" for n in range(1, 6)]
    # Another target's runs are another history.
    other = history.remember(db, record(6, "semantic.empty", target="https://prod.example"), 365)
    assert other.previous_run is None


def test_a_persisting_rule_is_counted_beyond_the_charts_window(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    for n in range(1, 36):
        seen = history.remember(db, record(n, "semantic.empty"), keep=365)
    assert len(seen.runs) == history.CHART_RUNS
    (label,) = seen.labels
    assert (label.label, label.since, label.runs) == ("persisting", "2026-11-01T03:17:00Z", 35)


def test_flaky_needs_two_changes_among_judged_runs() -> None:
    assert not flaky(["passed", "failed"])
    assert not flaky(["failed", "not tested", "failed"])
    assert flaky(["failed", "passed", "failed"])
    assert not flaky(["failed", "passed", *["passed"] * 9, "failed"])  # outside the window


def test_pruning_keeps_the_newest_runs_of_the_target(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    for n in range(1, 7):
        history.remember(db, record(n, "semantic.empty"), keep=4)
    history.remember(db, record(7, target="https://prod.example"), keep=4)
    with sqlite3.connect(db) as conn:
        kept = [r for (r,) in conn.execute("SELECT run_id FROM runs ORDER BY id")]
        orphans = conn.execute("SELECT count(*) FROM rules WHERE run NOT IN (SELECT id FROM runs)")
        assert orphans.fetchone()[0] == 0  # a pruned run's rules and findings go with it
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert kept == ["run0003", "run0004", "run0005", "run0006", "run0007"]


def test_latency_percentiles_nearest_rank() -> None:
    lat = history.Latency.of([i / 1000 for i in range(1, 101)])
    assert (lat.p50_ms, lat.p95_ms, lat.p99_ms, lat.max_ms) == (50.0, 95.0, 99.0, 100.0)
    assert history.Latency.of([]).p95_ms is None


@pytest.mark.parametrize(
    "content", [b"not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 4000]
)
def test_a_corrupt_file_is_moved_aside_and_named(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "h.sqlite"
    db.write_bytes(content)
    with pytest.raises(history.HistoryUnavailable) as caught:
        history.remember(db, record(1), keep=365)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("h.sqlite.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content  # kept, never overwritten
    assert caught.value.moved and str(aside[0]) in str(caught.value)
    assert history.remember(db, record(2), keep=365).previous_run is None  # a new history


def test_a_foreign_database_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.execute("INSERT INTO invoices VALUES (1)")
    conn.close()
    with pytest.raises(history.HistoryUnavailable, match="foreign: moved aside to"):
        history.remember(db, record(1), keep=365)
    (aside,) = tmp_path.glob("h.sqlite.foreign-*")
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT id FROM invoices").fetchall() == [(1,)]
    conn.close()


def test_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    history.remember(db, record(1), keep=365)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(history.HistoryUnavailable, match="newer than this suite"):
        history.remember(db, record(2), keep=365)
    assert [p.name for p in tmp_path.iterdir() if "aside" in p.name or "-20" in p.name] == []


def test_a_file_locked_too_long_is_a_warning_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    history.remember(db, record(1), keep=365)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(history.HistoryUnavailable, match="stayed locked"):
            history.remember(db, record(2), keep=365, busy_s=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "h.sqlite"
    ]


WRITER = """
import sys, time
from pathlib import Path
from conformance.reports import history
from tests.selftest.engine.test_history_store import record
db, base, start = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
while time.time() < start:
    time.sleep(0.005)
for n in range(base, base + 25):
    history.remember(db, record(n % 28 + 1, "semantic.empty"), keep=365)
"""


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    import time

    db = tmp_path / "h.sqlite"
    start = str(time.time() + 1.5)  # both start writing at the same instant
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(base), start], cwd=ROOT)
        for base in (0, 100)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 50
        assert conn.execute("SELECT count(*) FROM rules").fetchone()[0] == 50 * len(RULES)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


KNOWN = (
    RunPoint("r1", "2026-11-01T03:17:00Z", 0, 0, 0, 40, 10.0, 20.0),
    RunPoint("r2", "2026-11-02T03:17:00Z", 1, 4, 0, 36, 12.0, 40.0),
    RunPoint("r3", "2026-11-03T03:17:00Z", 7, 2, 10, 28, 11.0, 30.0),
)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_the_rules_chart_stacks_each_run_to_scale() -> None:
    root = _parse(rules_chart(KNOWN))
    links = root.findall(f"{SVG}a")
    assert [a.get("href") for a in links] == ["#run-r1", "#run-r2", "#run-r3"]
    assert "r2" in (links[1].findtext(f"{SVG}title") or "")
    for run, link in zip(KNOWN, links, strict=True):
        rects = {r.get("class"): r for r in link.findall(f"{SVG}rect")}
        heights = {k: float(r.get("height") or 0) for k, r in rects.items()}
        # Every run here has 40 rules judged or not: every bar is the plot's full height.
        assert sum(heights.values()) == pytest.approx(PLOT_H, abs=0.05)
        assert heights["broken"] == pytest.approx(PLOT_H * run.broken / 40, abs=0.01)
        assert heights["not_tested"] == pytest.approx(PLOT_H * run.not_tested / 40, abs=0.01)
        # Stacked: passed on the axis, not tested on it, broken on top.
        assert float(rects["broken"].get("y") or 0) == pytest.approx(TOP, abs=0.05)
    xs = [float(a.find(f"{SVG}rect").get("x") or 0) for a in links]  # type: ignore[union-attr]
    assert xs == sorted(xs)  # oldest on the left


def test_the_latency_chart_puts_the_slower_run_higher() -> None:
    root = _parse(latency_chart(KNOWN))
    circles = {
        (c.get("class"), a.get("href")): float(c.get("cy") or 0)
        for a in root.findall(f"{SVG}a")
        for c in a.findall(f"{SVG}circle")
    }
    assert len(circles) == 6
    # r2's p95 (40 ms, the top of the scale) at the top; a lower value lower on the page.
    assert circles[("p95", "#run-r2")] == pytest.approx(TOP, abs=0.05)
    assert circles[("p95", "#run-r1")] == pytest.approx(TOP + PLOT_H / 2, abs=0.05)
    assert circles[("p50", "#run-r1")] > circles[("p95", "#run-r1")]
    assert len(root.findall(f"{SVG}polyline")) == 2


def test_a_lock_answered_at_once_is_tried_again_until_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite answers "locked" without waiting in some WAL moments (seen in CI while
    # another writer switched the file to WAL); connect must wait those out.
    db = tmp_path / "h.sqlite"
    real = history._connect_once
    calls = []

    def flaky(path: Path, busy_s: float) -> sqlite3.Connection:
        calls.append(path)
        if len(calls) < 3:
            try:
                raise sqlite3.OperationalError("database is locked")
            except sqlite3.OperationalError as exc:
                raise history._Locked() from exc
        return real(path, busy_s)

    monkeypatch.setattr(history, "_connect_once", flaky)
    history.connect(db, busy_s=2.0).close()
    assert len(calls) == 3

    def always(path: Path, busy_s: float) -> sqlite3.Connection:
        raise history._Locked()

    monkeypatch.setattr(history, "_connect_once", always)
    with pytest.raises(history.HistoryUnavailable, match=r"stayed locked for 0\.1 s"):
        history.connect(db, busy_s=0.1)
