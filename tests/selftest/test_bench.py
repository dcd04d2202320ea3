"""Self-tests of the bench's pure helpers: medians, the table, and reading Schemathesis's and
pytest's output. No server and no child process is started here."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tooling.bench import (
    CLEAN,
    Cell,
    cell,
    cell_text,
    count_collected,
    geomean,
    median,
    render_table,
    summarize,
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


def test_render_table() -> None:
    gate, st = Cell(3, 3, 10, 2.5), Cell(3, 0, 250, 3.0)
    clean = Cell(3, 0, 264, 7.0)
    text = render_table([(CLEAN, "-", clean, clean), ("name_x", "name-length", gate, st)])
    lines = text.splitlines()
    assert lines[0].startswith("| defect | rule |") and lines[1].startswith("|---|")
    assert lines[2] == "| `(clean)` | - | 264 | 7 | 264 | 7 | - |"
    assert lines[3] == "| `name_x` | name-length | 10 | 2.5 | missed (250) | 3 | 25.0x |"


def test_summarize_against_the_targets() -> None:
    rows = [
        (CLEAN, "-", Cell(1, 0, 264, 7), Cell(1, 0, 250, 4)),
        ("fast", "r", Cell(3, 3, 10, 2), Cell(3, 3, 90, 2)),
        ("slow", "r", Cell(3, 3, 263, 6), Cell(3, 0, 250, 3)),
        ("flaky", "r", Cell(3, 2, 50, 3), Cell(3, 3, 4, 1)),
    ]
    s = summarize(rows, matrix_cases=46)
    assert s["defects"] == 3 and s["matrix_cases"] == 46
    assert s["gate_within_120"] == 1
    assert [name for name, _ in s["gate_slow"]] == ["slow", "flaky"]
    assert s["schemathesis_missed"] == ["slow"]
    assert (s["gate_requests_sum"], s["schemathesis_requests_sum"]) == (323, 344)
    assert s["fewer_by_sum"] == round(344 / 323, 2)
    assert (s["both_detect"], s["fewer_where_both_detect"]) == (1, 9.0)
    assert math.isclose(s["fewer_by_geomean"], round((9 * 250 / 263 * 4 / 50) ** (1 / 3), 2))


def test_count_collected() -> None:
    out = (
        "tests/conformance/test_boundary.py::test_edge[accept-0]\n"
        "tests/conformance/test_boundary.py::test_edge[name-missing]\n"
        "\n2 tests collected in 0.08s\n"
    )
    assert count_collected(out) == 2


def test_first_failed_test() -> None:
    out = (
        "....F\n"
        "FAILED tests/conformance/test_boundary.py::test_edge[name-reject-0] - Failed: x\n"
        "!!!!! stopping after 1 failures !!!!!\n"
    )
    assert first_failed_test(out) == "tests/conformance/test_boundary.py::test_edge[name-reject-0]"
    assert first_failed_test("ERROR tests/x.py::test_y - boom") == "tests/x.py::test_y"
    assert first_failed_test("5 passed in 1s") == ""


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
