"""The bench's figures: medians over seeds, a tool's cell of the per-defect table, the summary
against the targets, and the Markdown report. Pure functions: no server, no child process."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.embedded import EMBEDDED_RATE_LIMIT
from tooling import bench_clean as clean
from tooling import bench_schemathesis as runner
from tooling.bench_clean import median
from tooling.bench_schemathesis import Run
from tooling.suiteruns import CLEAN

TOOLS = ("gate", "schemathesis")
MATRIX_MAX, DETECT_MAX, FEWER_MIN, OVERHEAD_MAX = 60, 120, 3.0, 1.2


def geomean(values: list[float]) -> float:
    kept = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in kept) / len(kept)) if kept else 0.0


@dataclass
class Cell:
    """One tool's runs on one server, over the seeds; a run that misses counts what it sent."""

    runs: int
    detected: int
    requests: float
    seconds: float
    errors: int = 0
    # Detections by one of the defect's own rules (the gate's; Schemathesis names no rule).
    own: int = 0


def cell(runs: list[Run], rules: tuple[str, ...] = ()) -> Cell:
    return Cell(
        runs=len(runs),
        detected=sum(r.detected for r in runs),
        requests=median([r.requests for r in runs]),
        seconds=round(median([r.seconds for r in runs]), 2),
        errors=sum(bool(r.error) for r in runs),
        own=sum(r.detected and bool(set(r.failed_rules) & set(rules)) for r in runs),
    )


def cell_text(c: Cell, clean: bool = False) -> str:
    if c.runs == 0:
        return "-"
    n = f"{c.requests:g}"
    if clean:
        text = n if c.detected == 0 else f"{n}, FAILS {c.detected}/{c.runs}"
    elif c.detected == 0:
        text = f"missed ({n})"
    else:
        text = n if c.detected == c.runs else f"{n} ({c.detected}/{c.runs} seeds)"
    return text + (f" [{c.errors} error]" if c.errors else "")


Row = tuple[str, tuple[str, ...], Cell, Cell]  # defect, its rules, gate, Schemathesis


def render_table(rows: list[Row]) -> str:
    lines = [
        "| defect | rule | gate requests | gate s | Schemathesis requests | Schemathesis s | Schemathesis / gate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, rules, gate, st in rows:
        clean = name == CLEAN
        ratio = f"{st.requests / gate.requests:.1f}x" if gate.requests and not clean else "-"
        # A detection by another rule only is a wrong diagnosis: say so beside the count.
        other = " (other rule)" if gate.detected > gate.own and not clean else ""
        lines.append(
            f"| `{name}` | {', '.join(rules) or '-'} | {cell_text(gate, clean)}{other} "
            f"| {gate.seconds:g} "
            f"| {cell_text(st, clean)} | {st.seconds:g} | {ratio} |"
        )
    return "\n".join(lines)


def summarize(rows: list[Row], matrix_cases: int) -> dict[str, Any]:
    defects = [r for r in rows if r[0] != CLEAN]
    fast = [r for r in defects if r[2].detected == r[2].runs > 0 and r[2].requests <= DETECT_MAX]
    gate_sum = sum(r[2].requests for r in defects)
    st_sum = sum(r[3].requests for r in defects)
    ratios = [r[3].requests / r[2].requests for r in defects if r[2].requests]
    # Without the misses, whose count is only the budget Schemathesis was given.
    both = [r for r in defects if r[2].detected == r[2].runs > 0 and r[3].detected == r[3].runs]
    both_gate, both_st = sum(r[2].requests for r in both), sum(r[3].requests for r in both)
    return {
        "defects": len(defects),
        "matrix_cases": matrix_cases,
        "gate_detected_all_seeds": sum(r[2].detected == r[2].runs > 0 for r in defects),
        "gate_missed": [r[0] for r in defects if not r[2].detected == r[2].runs > 0],
        "gate_other_rule": [r[0] for r in defects if r[2].own < r[2].detected],
        "gate_within_120": len(fast),
        "gate_slow": [(r[0], r[2].requests) for r in defects if r not in fast],
        "schemathesis_missed": [r[0] for r in defects if r[3].detected == 0],
        "gate_requests_sum": gate_sum,
        "schemathesis_requests_sum": st_sum,
        "fewer_by_sum": round(st_sum / gate_sum, 2) if gate_sum else 0.0,
        "fewer_by_geomean": round(geomean(ratios), 2),
        "both_detect": len(both),
        "fewer_where_both_detect": round(both_st / both_gate, 2) if both_gate else 0.0,
    }


def summary_lines(s: dict[str, Any], overhead: float) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    slow = ", ".join(f"`{n}` ({r:g})" for n, r in s["gate_slow"][:12])
    more = f" and {len(s['gate_slow']) - 12} more" if len(s["gate_slow"]) > 12 else ""
    missed = ", ".join(f"`{n}`" for n in s["gate_missed"])
    other = ", ".join(f"`{n}`" for n in s["gate_other_rule"])
    return [
        f"- Every defect detected by the gate on every seed: {s['gate_detected_all_seeds']}/"
        f"{s['defects']}: {mark(not s['gate_missed'])}."
        + (f" Missed: {missed}." if missed else "")
        + (f" Caught only by another rule: {other}." if other else ""),
        f"- Deterministic matrix: {s['matrix_cases']} cases in `test_boundary.py` "
        f"(target <= {MATRIX_MAX}): {mark(s['matrix_cases'] <= MATRIX_MAX)}.",
        f"- Detection within {DETECT_MAX} requests (median, detected on every seed): "
        f"{s['gate_within_120']}/{s['defects']} defects: {mark(s['gate_within_120'] == s['defects'])}."
        + (f" Over: {slow}{more}." if slow else ""),
        f"- Requests to detect, Schemathesis / gate: {s['fewer_by_sum']}x by sums of medians "
        f"({s['schemathesis_requests_sum']:g} / {s['gate_requests_sum']:g}), {s['fewer_by_geomean']}x "
        f"geometric mean of per-defect ratios (target >= {FEWER_MIN}x by sums): "
        f"{mark(s['fewer_by_sum'] >= FEWER_MIN)}. Schemathesis missed {len(s['schemathesis_missed'])}; "
        "a miss counts the requests it sent over its whole budget (a lower bound for it). "
        f"Over the {s['both_detect']} defects both detect on every seed: "
        f"{s['fewer_where_both_detect']}x by sums.",
        f"- Time per request, gate / Schemathesis on the same clean server: {overhead:.2f}x "
        f"(target <= {OVERHEAD_MAX}x): {mark(0 < overhead <= OVERHEAD_MAX)}.",
    ]


def render_doc(
    head: dict[str, Any],
    summary: dict[str, Any],
    per: dict[str, float],
    table: str,
    costs: list[clean.CostRow],
) -> str:
    ms = {k: v * 1000 for k, v in per.items() if k.endswith("per_request")}
    versions = ", ".join(f"{p} {v}" for p, v in head["versions"].items())
    return "\n".join(
        [
            "# Bench: what a run costs, and requests to the first failure, gate vs plain "
            "Schemathesis",
            "",
            f"{head['date']}; {head['cores']} cores, Python {head['python']}, {versions}. "
            f"Seeds {head['seeds']} (medians), {head['jobs']} runs at a time; bench wall "
            f"{head['wall_s']}s, {head['reused']} of {head['runs']} runs kept from an earlier bench. "
            f"Tree {head['tree']}; 1-minute load average {head['load']}.",
            "",
            f"- **gate**: `python -m pytest tests/conformance {' '.join(runner.GATE_ARGS)}`, SEED=seed, DERANDOMIZE=1, its own "
            "embedded server (and its rate-limited sibling for the rate-limit tests).",
            f"- **Schemathesis**: `schemathesis run openapi/campaigns.yaml --seed S --max-examples "
            f"{head['schemathesis_max_examples']} {runner.ST_OPTIONS}` against a fresh reference server "
            f"per run: rate limit off, except {EMBEDDED_RATE_LIMIT}/min (the gate's sibling's limit) "
            "for the `rate_limit_*` defects, which only show with a limit on. Requests to its first "
            "failure are counted from its NDJSON report (capability probes not counted).",
            f"- Per-run timeout {head['run_timeout_s']:.0f}s. Wall times are per run, server start "
            "included. *missed (N)*: no failure within the budget, after N requests.",
            "",
            "## What one run costs on the clean server",
            "",
            f"Whole runs, no `-x`, medians over the seeds. *Paced* is computed, not waited for: "
            f"requests x {60 / clean.PACE:g} s (the suite's pace at {clean.PACE}/min) plus the "
            "measured unpaced wall time (process and server start included). The gate and the "
            "nightly depth are `python -m pytest tests/conformance` with DEPTH set, against their "
            "embedded server; requests are `requests.sent`, campaigns `requests.campaigns_created` "
            f"(the nightly run capped at {clean.NIGHTLY_TIMEOUT:.0f} s). Plain Schemathesis is "
            "`schemathesis run openapi/campaigns.yaml --seed S "
            f"{clean.ST_DEFAULT_OPTIONS}` (its defaults otherwise: every phase, 100 examples, its "
            "default checks) against a fresh clean server; requests are every interaction of its "
            "NDJSON report plus its capability probes, campaigns its 201s.",
            "",
            clean.render_cost(costs),
            "",
            *clean.cost_lines(costs),
            "",
            "## Against the targets (requests to the first failure)",
            "",
            *summary_lines(summary, head["overhead_ratio"]),
            "",
            "Time per request against one clean server, the two tools in turn with nothing else "
            f"running (medians over the seeds): gate {ms['gate_s_per_request']:.1f} ms over "
            f"{per['gate_requests']:g} requests, Schemathesis {ms['schemathesis_s_per_request']:.1f}"
            f" ms over {per['schemathesis_requests']:g}, end to end (process start included); "
            f"in-run (each tool's own run time) {ms['gate_in_run_s_per_request']:.1f} ms vs "
            f"{ms['schemathesis_in_run_s_per_request']:.1f} ms, {head['in_run_ratio']:.2f}x.",
            "",
            table,
            "",
        ]
    )
