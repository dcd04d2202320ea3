"""Done-when for the run history: the suite against the embedded server, a planted defect
switched on and off across a scripted sequence of runs sharing one HISTORY_DB; each report
carries the labels new, persisting, fixed and flaky; HISTORY_KEEP prunes; a corrupt file is
moved aside without touching the verdict; two runs at once are both recorded; and every run's
exchanges.har is HAR 1.2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hario_core.models.har_1_2 import HarLog

from conformance.reports.htmlreport import markdown_summary
from tests.selftest.suite_runner import SuiteRun, run_suite

DEFECT = "tags_nonempty"  # breaks semantic.empty
RULE = "semantic.empty"
# The semantic tests alone: about two seconds a run.
SUBSET = ("-m", "semantic")


def _run(tmp: Path, n: int, db: Path, defect: str, child: bool = False, **env: str) -> SuiteRun:
    variables = {"HISTORY_DB": str(db), "REFSERVER_DEFECT": defect} | env
    return run_suite(tmp / f"run{n}", *SUBSET, child=child, **variables)


def test_a_scripted_sequence_of_runs_is_labelled_in_every_report(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    script = ["", DEFECT, DEFECT, "", DEFECT]
    runs = [_run(tmp_path, n, db, defect) for n, defect in enumerate(script)]
    assert [r.code for r in runs] == [0, 1, 1, 0, 1], runs[-1].output[-2000:]
    reports = [r.conformance() for r in runs]
    histories = [r.history for r in reports]
    assert all(h is not None for h in histories)
    first, new, persisting, fixed, flaky = histories  # type: ignore[misc]
    assert first.previous_run is None
    assert [(x.rule, x.label) for x in new.labels] == [(RULE, "new")]
    assert new.previous_run == reports[0].run.run_id
    label = persisting.labels[0]
    assert (label.label, label.since, label.runs) == ("persisting", reports[1].run.started, 2)
    assert fixed.fixed == (RULE,) and fixed.labels == ()
    assert [x.label for x in flaky.labels] == ["flaky"]
    assert [p.run_id for p in flaky.runs] == [r.run.run_id for r in reports]

    # The labels in every place a person reads them.
    since = f"persisting since {label.since[:10]} (2 runs)"
    assert f"FAIL {RULE} (" in runs[2].output and f"[{since}]" in runs[2].output
    assert f"`{RULE}`: {since}" in (runs[2].reports / "conformance.md").read_text("utf-8")
    assert since in (runs[2].reports / "summary.html").read_text("utf-8")
    assert "[flaky]" in runs[4].output
    assert f"fixed {RULE}" in runs[3].output
    job = markdown_summary(reports[1])
    assert job.startswith(f"**New since the last run:** `{RULE}`")
    assert f"`{RULE}` [new]:" in job
    page = (runs[4].reports / "summary.html").read_text("utf-8")
    assert "<h2>History</h2>" in page and page.count('<a href="#run-') == 5 * 3  # bar + 2 points

    # HISTORY_KEEP prunes to the newest runs of the target.
    last = _run(tmp_path, 5, db, "", HISTORY_KEEP="3")
    assert last.code == 0 and last.conformance().history.fixed == (RULE,)  # type: ignore[union-attr]
    with sqlite3.connect(db) as conn:
        kept = [r for (r,) in conn.execute("SELECT run_id FROM runs ORDER BY started, id")]
    conn.close()
    assert kept == [r.run.run_id for r in reports[3:]] + [last.conformance().run.run_id]

    # Every run's exchanges, in order, as HAR 1.2 (the model of a maintained HAR package).
    har = json.loads((runs[1].reports / "exchanges.har").read_text("utf-8"))
    log = HarLog.model_validate(har["log"])
    assert log.version == "1.2" and len(log.entries) == reports[1].requests.sent
    # In the order sent, but for the context rows, which go a few at once (in any order).
    times = [e.startedDateTime for e, raw in zip(log.entries, har["log"]["entries"], strict=True)
             if "test_context[" not in raw["_test"]]  # fmt: skip
    assert times == sorted(times)
    entries = har["log"]["entries"]
    assert all(e["_test"].startswith("tests/conformance/") for e in entries[1:])
    assert entries[0]["_test"] == "preflight"  # the run's own first request
    assert any(RULE in e["_broken"] and RULE in e["_rules"] for e in entries)


def test_a_corrupt_history_changes_nothing_but_a_warning(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    garbage = b"this is not SQLite\n" * 64
    db.write_bytes(garbage)
    run = _run(tmp_path, 0, db, DEFECT)
    off = _run(tmp_path, 1, db, DEFECT, HISTORY_DB="off")
    # The verdict and exit status are those of a run without history.
    assert run.code == off.code == 1
    assert run.conformance().verdicts == off.conformance().verdicts
    warnings = [line for line in run.output.splitlines() if line.startswith("warning: history")]
    assert len(warnings) == 1, run.output[-2000:]
    (aside,) = tmp_path.glob("history.sqlite.corrupt-*")
    assert f"moved aside to {aside}" in warnings[0]
    assert aside.read_bytes() == garbage  # never overwritten
    # This run starts the new history; the run without history left none.
    assert run.conformance().history.previous_run is None  # type: ignore[union-attr]
    assert off.conformance().history is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    conn.close()


def test_two_runs_at_once_are_both_recorded(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    db = tmp_path / "history.sqlite"
    # Two processes at once, as two CI jobs sharing the file would be.
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda n: _run(tmp_path, n, db, DEFECT if n else "", True), (0, 1)))
    assert [r.code for r in runs] == [0, 1]
    assert not any("warning: history" in r.output for r in runs)
    with sqlite3.connect(db) as conn:
        recorded = {r for (r,) in conn.execute("SELECT run_id FROM runs")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert recorded == {r.conformance().run.run_id for r in runs}
