"""The bench: requests and wall time until the first failure, for our gate and for plain
Schemathesis, against the clean reference server and each planted defect; medians over seeds.

Usage: python -m tooling.bench [--seeds 1,2,3] [--only NAME ...] [--jobs N]
                                   [--max-examples N] [--timeout S] [--fresh]

Writes $REPORTS_DIR/bench.md and bench.json (default reports/). Each finished run is kept under
$REPORTS_DIR/bench/runs/ and reused by the next bench while the suite, the server and the
document are unchanged, so an interrupted bench resumes; --fresh runs everything again.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from conformance.settings import ROOT
from harness.embedded import EMBEDDED_RATE_LIMIT
from tooling import bench_schemathesis as runner
from tooling.bench_schemathesis import Run
from tooling.mutation import CLEAN, catalogue

TOOLS = ("gate", "schemathesis")
MATRIX_MAX, DETECT_MAX, FEWER_MIN, OVERHEAD_MAX = 60, 120, 3.0, 1.2


def median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered, mid = sorted(values), len(values) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def geomean(values: list[float]) -> float:
    kept = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in kept) / len(kept)) if kept else 0.0


def count_collected(stdout: str) -> int:
    """Test ids in `pytest --collect-only -q` output (one `path::name` line each)."""
    return sum(1 for line in stdout.splitlines() if "::" in line and not line.startswith(" "))


@dataclass
class Cell:
    """One tool's runs on one server, over the seeds; a run that misses counts what it sent."""

    runs: int
    detected: int
    requests: float
    seconds: float
    errors: int = 0


def cell(runs: list[Run]) -> Cell:
    return Cell(
        runs=len(runs),
        detected=sum(r.detected for r in runs),
        requests=median([r.requests for r in runs]),
        seconds=round(median([r.seconds for r in runs]), 2),
        errors=sum(bool(r.error) for r in runs),
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


def render_table(rows: list[tuple[str, str, Cell, Cell]]) -> str:
    lines = [
        "| defect | rule | gate requests | gate s | Schemathesis requests | Schemathesis s | Schemathesis / gate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, rule, gate, st in rows:
        clean = name == CLEAN
        ratio = f"{st.requests / gate.requests:.1f}x" if gate.requests and not clean else "-"
        lines.append(
            f"| `{name}` | {rule} | {cell_text(gate, clean)} | {gate.seconds:g} "
            f"| {cell_text(st, clean)} | {st.seconds:g} | {ratio} |"
        )
    return "\n".join(lines)


def summarize(rows: list[tuple[str, str, Cell, Cell]], matrix_cases: int) -> dict[str, Any]:
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
    return [
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


def _seeds(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def render_doc(
    head: dict[str, Any], summary: dict[str, Any], per: dict[str, float], table: str
) -> str:
    ms = {k: v * 1000 for k, v in per.items() if k.endswith("per_request")}
    versions = ", ".join(f"{p} {v}" for p, v in head["versions"].items())
    return "\n".join(
        [
            "# Bench: requests to the first failure, gate vs plain Schemathesis",
            "",
            f"{head['date']}; {head['cores']} cores, Python {head['python']}, {versions}. "
            f"Seeds {head['seeds']} (medians), {head['jobs']} runs at a time; bench wall "
            f"{head['wall_s']}s, {head['reused']} of {head['runs']} runs kept from an earlier bench. "
            f"Tree {head['tree']}; 1-minute load average {head['load']}.",
            "",
            f"- **gate**: `python {runner.GATE_ARGS}`, SEED=seed, DERANDOMIZE=1, its own "
            "embedded server (and its rate-limited sibling for the rate-limit tests).",
            f"- **Schemathesis**: `schemathesis run openapi/campaigns.yaml --seed S --max-examples "
            f"{head['schemathesis_max_examples']} {runner.ST_OPTIONS}` against a fresh reference server "
            f"per run: rate limit off, except {EMBEDDED_RATE_LIMIT}/min (the gate's sibling's limit) "
            "for the `rate_limit_*` defects, which only show with a limit on. Requests to its first "
            "failure are counted from its NDJSON report (capability probes not counted).",
            f"- Per-run timeout {head['run_timeout_s']:.0f}s. Wall times are per run, server start "
            "included. *missed (N)*: no failure within the budget, after N requests.",
            "",
            "## Against the targets",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="comma-separated")
    parser.add_argument("--only", nargs="*", help="defect names to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--max-examples", type=int, default=100, help="Schemathesis budget")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--fresh", action="store_true", help="ignore the runs kept from before")
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", "").strip() or ROOT / "reports")
    known = catalogue()
    unknown = sorted(set(args.only or []) - {d["name"] for d in known})
    if unknown or not args.seeds or args.jobs < 1:
        parser.error(f"unknown defects: {unknown}" if unknown else "need seeds and jobs >= 1")
    defects = [d for d in known if not args.only or d["name"] in args.only]
    servers = [(CLEAN, "-"), *((d["name"], d["rule"]) for d in defects)]
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    _, out = runner.run_bounded(
        [*collect, "tests/conformance/test_boundary.py"], dict(os.environ), 120
    )
    head: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    head |= {"cores": os.cpu_count(), "python": platform.python_version(), "seeds": args.seeds}
    head["versions"] = {p: version(p) for p in runner.TOOL_PACKAGES}
    head |= {"jobs": args.jobs, "schemathesis_max_examples": args.max_examples}
    head |= {"run_timeout_s": args.timeout, "tree": runner.tree_state(), "load": os.getloadavg()[0]}
    started, code = time.monotonic(), runner.fingerprint()
    try:
        overhead = []
        for seed in args.seeds:
            overhead.append(runner.measure_overhead(seed, args.max_examples, args.timeout))
            print(f"time per request, seed {seed}: {overhead[-1]}", flush=True)
        results, head["reused"] = _matrix(args, servers, reports, started, code)
    finally:
        runner.stop_all()
    per = {k: median([o[k] for o in overhead]) for k in overhead[0]}
    head["overhead_ratio"] = per["gate_s_per_request"] / per["schemathesis_s_per_request"]
    head["in_run_ratio"] = (
        per["gate_in_run_s_per_request"] / per["schemathesis_in_run_s_per_request"]
    )
    head["runs"], head["wall_s"] = len(results), round(time.monotonic() - started)
    head["load"] = f"{head['load']:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    if runner.fingerprint() != code:  # another hand edited the suite while the bench ran
        head["tree"] += ", CHANGED during the bench (results mix versions: run it again)"
        print(f"warning: the tree {head['tree']}")
    rows = [
        (n, rule, *(cell([r for r in results if (r.defect, r.tool) == (n, t)]) for t in TOOLS))
        for n, rule in servers
    ]
    summary = summarize(rows, count_collected(out))
    reports.mkdir(parents=True, exist_ok=True)
    doc = render_doc(head, summary, per, render_table(rows))
    (reports / "bench.md").write_text(doc, encoding="utf-8")
    data = {**head, "summary": summary, "time_per_request": per}
    data["rows"] = [
        {"defect": n, "gate": asdict(g), "schemathesis": asdict(s)} for n, _, g, s in rows
    ]
    data["runs"] = [asdict(r) for r in results]
    (reports / "bench.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print("\n".join(summary_lines(summary, head["overhead_ratio"])))
    print(f"bench: {head['wall_s']}s; {reports / 'bench.md'}")
    return 0


def _matrix(
    args: argparse.Namespace,
    servers: list[tuple[str, str]],
    reports: Path,
    started: float,
    code: str,
) -> tuple[list[Run], int]:
    jobs = [(t, name, seed) for name, _ in servers for seed in args.seeds for t in TOOLS]
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(args.jobs):
        slots.put(slot)

    def one(tool: str, name: str, seed: int) -> tuple[Run, bool]:
        keep = reports / "bench" / "runs" / tool / f"{name.strip('()')}-seed{seed}.json"
        params = {"code": code, "max_examples": args.max_examples if tool != "gate" else None}
        if keep.exists() and not args.fresh:
            saved = json.loads(keep.read_text(encoding="utf-8"))
            if saved["params"] == params:
                return Run(**saved["run"]), True
        defect = "" if name == CLEAN else name
        limit = EMBEDDED_RATE_LIMIT if name.startswith("rate_limit_") else 0
        slot = slots.get()  # a block of ports of its own while it runs
        try:
            if tool == "gate":
                run = runner.run_gate(defect, seed, args.timeout)
            else:
                run = runner.run_schemathesis(
                    defect, seed, slot, args.max_examples, args.timeout, limit
                )
        except (OSError, RuntimeError) as exc:  # a server that would not start: one run lost
            run = Run(tool, name, seed, False, 0, 0.0, error=str(exc))
        finally:
            slots.put(slot)
        run.defect = name
        if not run.error:
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(json.dumps({"params": params, "run": asdict(run)}), encoding="utf-8")
        return run, False

    results: list[Run] = []
    reused = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(one, *job) for job in jobs]
        try:
            for done, future in enumerate(as_completed(futures), 1):
                run, kept = future.result()
                results.append(run)
                reused += kept
                verdict = f"failed after {run.requests} requests" if run.detected else "no failure"
                verdict += f" ({run.first_failure})" if run.first_failure else ""
                verdict += " (kept)" if kept else ""
                verdict += f" ERROR {run.error}" if run.error else ""
                clock = round(time.monotonic() - started)
                print(
                    f"[{done}/{len(jobs)} {clock}s] {run.tool} {run.defect} seed {run.seed}: "
                    f"{verdict}, {run.seconds}s",
                    flush=True,
                )
        except BaseException:
            # Interrupted: drop what has not started and end the children of what has.
            pool.shutdown(wait=False, cancel_futures=True)
            runner.stop_all()
            raise
    return results, reused


if __name__ == "__main__":
    sys.exit(main())
