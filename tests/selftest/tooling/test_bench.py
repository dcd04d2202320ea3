"""Self-tests of the bench's pure helpers: medians, the tables, the paced cost of a run, the
kept runs, and reading Schemathesis's and pytest's output. No server and no child process is
started here."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.selftest.report_samples import sample
from tooling import bench_clean
from tooling.bench_clean import (
    CostRow,
    cost_lines,
    cost_row,
    keep_or_run,
    paced_seconds,
    render_cost,
    schemathesis_default_cmd,
)
from tooling.bench_report import (
    CLEAN,
    Cell,
    cell,
    cell_text,
    geomean,
    median,
    render_table,
    summarize,
    summary_lines,
)
from tooling.bench_schemathesis import Run, first_failed_test, parse_ndjson, schemathesis_cmd


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([5], 5.0), ([3, 1, 2], 2.0), ([4, 1, 3, 2], 2.5), ([250, 4, 4], 4.0)],
)
def test_median(values: list[float], expected: float) -> None:
    assert median(values) == expected


def test_geomean_ignores_zero_and_is_scale_free() -> None:
    assert geomean([]) == 0.0
    assert math.isclose(geomean([2, 8]), 4.0)
    assert math.isclose(geomean([0, 2, 8]), 4.0)


def _run(defect: str, requests: int, detected: bool = True, error: str = "") -> Run:
    return Run("gate", defect, 1, detected, requests, 1.5, error=error)


def test_cell_counts_misses_at_what_they_sent() -> None:
    c = cell([_run("d", 10), _run("d", 250, detected=False), _run("d", 12)])
    assert (c.runs, c.detected, c.requests, c.seconds) == (3, 2, 12.0, 1.5)
    assert cell_text(c) == "12 (2/3 seeds)"
    assert cell_text(cell([_run("d", 250, detected=False)] * 3)) == "missed (250)"
    assert cell_text(cell([_run("d", 7)] * 3)) == "7"
    assert cell_text(cell([_run("d", 7, error="exit 3")])) == "7 [1 error]"
    assert cell_text(cell([])) == "-"


def test_clean_cell_says_whether_the_clean_server_fails() -> None:
    assert cell_text(cell([_run(CLEAN, 264, detected=False)]), clean=True) == "264"
    assert cell_text(cell([_run(CLEAN, 30)] * 2), clean=True) == "30, FAILS 2/2"


def test_cell_counts_detections_by_the_defects_own_rules() -> None:
    own = _run("d", 5)
    own.failed_rules = ["request.name", "other"]
    wrong = _run("d", 6)
    wrong.failed_rules = ["other"]
    assert cell([own, wrong], ("request.name",)).own == 1
    assert cell([own, wrong]).own == 0  # no rules named: nothing counts as its own


def test_render_table() -> None:
    gate, st = Cell(3, 3, 10, 2.5, own=3), Cell(3, 0, 250, 3.0)
    clean = Cell(3, 0, 264, 7.0)
    rows = [(CLEAN, (), clean, clean), ("name_x", ("request.name", "request.x"), gate, st)]
    lines = render_table(rows).splitlines()
    assert lines[0].startswith("| defect | rule |") and lines[1].startswith("|---|")
    assert lines[2] == "| `(clean)` | - | 264 | 7 | 264 | 7 | - |"
    assert lines[3] == (
        "| `name_x` | request.name, request.x | 10 | 2.5 | missed (250) | 3 | 25.0x |"
    )
    wrong = render_table([("name_y", ("r",), Cell(1, 1, 4, 1.0, own=0), st)])
    assert "| 4 (other rule) |" in wrong


def test_summarize_against_the_targets() -> None:
    rows = [
        (CLEAN, (), Cell(1, 0, 264, 7), Cell(1, 0, 250, 4)),
        ("fast", ("r",), Cell(3, 3, 10, 2, own=3), Cell(3, 3, 90, 2)),
        ("slow", ("r",), Cell(3, 3, 263, 6, own=2), Cell(3, 0, 250, 3)),
        ("flaky", ("r",), Cell(3, 2, 50, 3, own=2), Cell(3, 3, 4, 1)),
    ]
    s = summarize(rows, matrix_cases=46)
    assert s["defects"] == 3 and s["matrix_cases"] == 46
    assert s["gate_within_120"] == 1
    assert (s["gate_missed"], s["gate_other_rule"]) == (["flaky"], ["slow"])
    text = "\n".join(summary_lines(s, overhead=1.0))
    assert "Every defect detected by the gate on every seed: 2/3: NOT met. Missed: `flaky`." in text
    assert "Caught only by another rule: `slow`." in text
    assert [name for name, _ in s["gate_slow"]] == ["slow", "flaky"]
    assert s["schemathesis_missed"] == ["slow"]
    assert (s["gate_requests_sum"], s["schemathesis_requests_sum"]) == (323, 344)
    assert s["fewer_by_sum"] == round(344 / 323, 2)
    assert (s["both_detect"], s["fewer_where_both_detect"]) == (1, 9.0)
    assert math.isclose(s["fewer_by_geomean"], round((9 * 250 / 263 * 4 / 50) ** (1 / 3), 2))


def test_first_failed_test() -> None:
    results = [
        {"test": "tests/conformance/test_boundary.py::test_edge[accept-0]", "outcome": "passed"},
        {
            "test": "tests/conformance/test_boundary.py::test_edge[name-reject-0]",
            "outcome": "failed",
        },
        {"test": "tests/conformance/test_auth.py::test_x", "outcome": "failed"},
    ]
    assert first_failed_test(sample({"results": results})) == results[1]["test"]
    assert first_failed_test(sample({"results": results[:1]})) == ""
    assert first_failed_test(sample({})) == ""


def _scenario(cases: dict[str, tuple[float, str | None]], failing: dict[str, str]) -> str:
    """One ScenarioFinished event: case id -> (interaction time, parent id); failing checks."""
    checks: dict[str, list[dict[str, Any]]] = {
        cid: [{"name": "not_a_server_error", "status": "success"}] for cid in cases
    }
    for cid, name in failing.items():
        failure = {"failure": {"title": f"{name} broke"}}
        checks[cid].append({"name": name, "status": "failure", "failure_info": failure})
    recorder = {
        "label": "POST /v2/campaigns",
        "cases": {cid: {"value": {}, "parent_id": parent} for cid, (_, parent) in cases.items()},
        "checks": checks,
        "interactions": {cid: {"timestamp": ts} for cid, (ts, _) in cases.items()},
    }
    return json.dumps({"ScenarioFinished": {"phase": "x", "status": "y", "recorder": recorder}})


def test_parse_ndjson_without_failure_counts_every_interaction() -> None:
    lines = [
        json.dumps({"Initialize": {"seed": 1}}),
        _scenario({"a": (1.0, None), "b": (2.0, None)}, {}),
        _scenario({"c": (3.0, None)}, {}),
        json.dumps({"EngineFinished": {"running_time": 1.25}}),
        "",
    ]
    outcome = parse_ndjson(lines)
    assert (outcome.detected, outcome.requests, outcome.running_time) == (False, 3, 1.25)


def test_parse_ndjson_counts_up_to_the_first_failure_across_scenarios() -> None:
    lines = [
        _scenario({"a": (1.0, None), "b": (2.0, None)}, {}),
        # Recorded in the same event, but `d` (t=4) fails before `f` (t=6) does.
        _scenario(
            {"c": (3.0, None), "d": (4.0, None), "e": (5.0, None), "f": (6.0, None)},
            {"f": "status_code_conformance", "d": "negative_data_rejection"},
        ),
        _scenario({"g": (7.0, None)}, {"g": "not_a_server_error"}),
    ]
    outcome = parse_ndjson(lines)
    assert (outcome.detected, outcome.requests) == (True, 4)
    assert outcome.first_failure == "negative_data_rejection: negative_data_rejection broke"


def test_parse_ndjson_includes_the_probes_a_check_sends() -> None:
    # `ignored_auth` fails on the parent once its unauthenticated probe (the child) is answered.
    lines = [
        _scenario({"p": (1.0, None), "probe": (2.0, "p"), "q": (3.0, None)}, {"p": "ignored_auth"})
    ]
    assert parse_ndjson(lines).requests == 2


def test_schemathesis_cmd_bounds_and_reports() -> None:
    cmd = schemathesis_cmd("http://127.0.0.1:21000", "cc_k", 3, 100, Path("/tmp/r.ndjson"))
    text = " ".join(cmd)
    assert cmd[1] == "run" and cmd[2].endswith("campaigns.yaml")
    for part in ("--checks all", "--max-failures 1", "--seed 3", "--max-examples 100"):
        assert part in text
    assert "--generation-database none" in text and "--report-ndjson-path /tmp/r.ndjson" in text
    assert "x-api-key: cc_k" in cmd


def test_parse_ndjson_counts_campaigns_and_probes() -> None:
    def created(lines: list[str]) -> list[str]:
        # Mark interactions a and c as 201s (what a created campaign answers).
        out = []
        for line in lines:
            event = json.loads(line)
            for cid, i in event["ScenarioFinished"]["recorder"]["interactions"].items():
                i["response"] = {"status_code": 201 if cid in "ac" else 422}
            out.append(json.dumps(event))
        return out

    probes = {"probes": [{"response": "<Response [400]>"}, {"response": None}]}
    lines = [
        json.dumps({"PhaseFinished": {"phase": {"name": "probing"}, "payload": probes}}),
        *created([_scenario({"a": (1.0, None), "b": (2.0, None)}, {})]),
        *created([_scenario({"c": (3.0, None), "d": (4.0, None)}, {"d": "x"})]),
    ]
    outcome = parse_ndjson(lines)
    # To the first failure (d, at t=4): 4 requests, 2 of them 201s; the whole run the same here,
    # and one probe that got an answer (the unanswered one never reached the target).
    assert (outcome.requests, outcome.campaigns) == (4, 2)
    assert (outcome.sent, outcome.created, outcome.probes) == (4, 2, 1)


def test_schemathesis_default_cmd_is_its_defaults() -> None:
    cmd = schemathesis_default_cmd("http://127.0.0.1:21000", "cc_k", 2, Path("/tmp/r.ndjson"))
    text = " ".join(cmd)
    assert "--seed 2" in text and "--report-ndjson-path /tmp/r.ndjson" in text
    # No budget, check or stop option of the bench's per-defect runs: the user's first run.
    for option in ("--checks", "--max-examples", "--max-failures", "--workers", "--phases"):
        assert option not in text


def test_paced_seconds_adds_a_second_per_request() -> None:
    assert paced_seconds(131, 5.5) == 136.5
    assert paced_seconds(120, 0.0, per_minute=30) == 240.0


def _cost(kind: str, requests: int, campaigns: int, seconds: float, status: int = 0) -> Run:
    run = Run(kind, CLEAN, 1, status == 1, requests, seconds, campaigns=campaigns)
    run.exit_status = status
    return run


def test_cost_row_medians_and_paced_wall() -> None:
    runs = [_cost("gate", 131, 27, 5.0), _cost("gate", 133, 28, 7.0), _cost("gate", 129, 26, 6.0)]
    row = cost_row("gate", runs)
    assert (row.runs, row.requests, row.campaigns, row.seconds) == (3, 131, 27, 6.0)
    assert (row.paced_s, row.failing, row.errors) == (137, 0, 0)
    assert cost_row("gate", [_cost("gate", 1, 0, 1.0, status=1)]).failing == 1


def test_cost_lines_against_the_gate_targets() -> None:
    gate = CostRow("gate", 3, 131, 27, 6.0, 137, 0, 0)
    nightly = CostRow("nightly", 3, 593, 203, 16.0, 609, 0, 0)
    st = CostRow("schemathesis", 3, 252, 100, 5.0, 257, 0, 0)
    lines = cost_lines([gate, nightly, st])
    assert "131 requests, 27 campaigns (target <= 150 and <= 30): met" in lines[0]
    assert lines[1].startswith("- gate / plain Schemathesis's default run: 0.52x the requests")
    assert "nightly / plain Schemathesis" in lines[2] and "609 s (10.2 min)" in lines[2]
    over = cost_lines([CostRow("gate", 1, 151, 31, 6.0, 157, 0, 0)])
    assert "NOT met" in over[0]
    table = render_cost([gate, st]).splitlines()
    assert table[0].startswith("| run | requests | campaigns |")
    assert table[2] == "| gate (`make gate`, DEPTH=gate) | 131 | 27 | 6 | 137 s (2.3 min) | 0/3 |"


def test_keep_or_run_reuses_a_kept_run_with_the_same_parameters(tmp_path: Path) -> None:
    keep, made = tmp_path / "runs" / "gate-seed1.json", []

    def make() -> Run:
        made.append(1)
        return _cost("gate", 131, 27, 5.0)

    first, kept = keep_or_run(keep, {"code": "a"}, False, make)
    assert not kept and keep.exists() and first.campaigns == 27
    again, kept = keep_or_run(keep, {"code": "a"}, False, make)
    assert kept and again == first and len(made) == 1
    assert not keep_or_run(keep, {"code": "b"}, False, make)[1]  # the code changed: run again
    assert not keep_or_run(keep, {"code": "b"}, True, make)[1]  # --fresh
    assert len(made) == 3


def test_keep_or_run_keeps_no_failed_run(tmp_path: Path) -> None:
    keep = tmp_path / "x.json"
    run, _ = keep_or_run(keep, {}, False, lambda: Run("gate", CLEAN, 1, False, 0, 0, error="x"))
    assert run.error == "x" and not keep.exists()


def test_nightly_cost_run_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_gate(defect: str, seed: int, timeout: float, **kw: Any) -> Run:
        seen.update(defect=defect, timeout=timeout, **kw)
        return Run("gate", defect, seed, False, 593, 16.0)

    monkeypatch.setattr(bench_clean, "run_gate", fake_gate)
    run = bench_clean.cost_run("nightly", 1, 900.0)
    assert run.tool == "nightly"
    assert seen == {
        "defect": "",
        "timeout": bench_clean.NIGHTLY_TIMEOUT,
        "depth": "nightly",
        "first_failure": False,
    }
