"""The bench: what a run costs on the clean reference server (requests, campaigns, wall time
paced at 60/min) for the gate, the nightly depth and plain Schemathesis's default run; then
requests and wall time until the first failure, for the gate and for plain Schemathesis,
against each planted defect; medians over seeds.

Usage: python -m tooling.bench [--seeds 1,2,3] [--only NAME ...] [--jobs N]
                                   [--max-examples N] [--timeout S] [--fresh]

Writes $REPORTS_DIR/bench.md and bench.json (default reports/). Each finished run is kept under
$REPORTS_DIR/bench/runs/ and reused by the next bench while the suite, the server and the
document are unchanged, so an interrupted bench resumes; --fresh runs everything again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from conformance.contract.matrix import build_matrix
from conformance.run.settings import ROOT, name_prefix
from harness.embedded import EMBEDDED_RATE_LIMIT
from tooling import bench_clean as clean
from tooling import bench_schemathesis as runner
from tooling.bench_clean import median
from tooling.bench_report import (
    TOOLS,
    Row,
    cell,
    render_doc,
    render_table,
    summarize,
    summary_lines,
)
from tooling.bench_schemathesis import Run
from tooling.childrun import stop_all
from tooling.suiteruns import CLEAN, catalogue


def _seeds(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


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
    known = catalogue("--list-defects")
    unknown = sorted(set(args.only or []) - {d["name"] for d in known})
    if unknown or not args.seeds or args.jobs < 1:
        parser.error(f"unknown defects: {unknown}" if unknown else "need seeds and jobs >= 1")
    defects = [d for d in known if not args.only or d["name"] in args.only]
    servers = [(CLEAN, ()), *((d["name"], tuple(d["rules"])) for d in defects)]
    head: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    head |= {"cores": os.cpu_count(), "python": platform.python_version(), "seeds": args.seeds}
    head["versions"] = {p: version(p) for p in runner.TOOL_PACKAGES}
    head |= {"jobs": args.jobs, "schemathesis_max_examples": args.max_examples}
    head |= {"run_timeout_s": args.timeout, "tree": clean.tree_state(), "load": os.getloadavg()[0]}
    started, code = time.monotonic(), clean.fingerprint()
    try:
        # First, with nothing else running: the wall times below are the user's, not the bench's.
        costs, cost_kept = _costs(args, reports, code)
        overhead = []
        for seed in args.seeds:
            overhead.append(clean.measure_overhead(seed, args.max_examples, args.timeout))
            print(f"time per request, seed {seed}: {overhead[-1]}", flush=True)
        results, head["reused"] = _matrix(args, servers, reports, started, code)
    finally:
        stop_all()
    head["reused"] += cost_kept
    per = {k: median([o[k] for o in overhead]) for k in overhead[0]}
    head["overhead_ratio"] = per["gate_s_per_request"] / per["schemathesis_s_per_request"]
    head["in_run_ratio"] = (
        per["gate_in_run_s_per_request"] / per["schemathesis_in_run_s_per_request"]
    )
    head["runs"], head["wall_s"] = len(results) + len(costs), round(time.monotonic() - started)
    head["load"] = f"{head['load']:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    if clean.fingerprint() != code:  # another hand edited the suite while the bench ran
        head["tree"] += ", CHANGED during the bench (results mix versions: run it again)"
        print(f"warning: the tree {head['tree']}")
    rows: list[Row] = [
        (
            n,
            rules,
            *(cell([r for r in results if (r.defect, r.tool) == (n, t)], rules) for t in TOOLS),
        )
        for n, rules in servers
    ]
    cost_rows = [
        clean.cost_row(kind, [r for r in costs if r.tool == kind]) for kind in clean.COST_KINDS
    ]
    summary = summarize(rows, len(build_matrix(name_prefix("plan"))))
    reports.mkdir(parents=True, exist_ok=True)
    doc = render_doc(head, summary, per, render_table(rows), cost_rows)
    (reports / "bench.md").write_text(doc, encoding="utf-8")
    data = {**head, "summary": summary, "time_per_request": per}
    data["cost"] = [asdict(c) for c in cost_rows]
    data["rows"] = [
        {"defect": n, "rules": list(rules), "gate": asdict(g), "schemathesis": asdict(s)}
        for n, rules, g, s in rows
    ]
    data["runs"] = [asdict(r) for r in [*costs, *results]]
    (reports / "bench.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(clean.render_cost(cost_rows))
    print(
        "\n".join([*clean.cost_lines(cost_rows), *summary_lines(summary, head["overhead_ratio"])])
    )
    print(f"bench: {head['wall_s']}s; {reports / 'bench.md'}")
    return 0


def clean_env() -> dict[str, str]:
    """Our environment without DEPTH: every run of the suite names its depth itself."""
    return {k: v for k, v in os.environ.items() if k != "DEPTH"}


def _costs(args: argparse.Namespace, reports: Path, code: str) -> tuple[list[Run], int]:
    """Whole runs on the clean server, one at a time: each tool's cost per seed."""
    runs: list[Run] = []
    kept = 0
    for kind in clean.COST_KINDS:
        for seed in args.seeds:
            keep = reports / "bench" / "runs" / "cost" / f"{kind}-seed{seed}.json"
            params = {"code": code, "timeout": args.timeout}
            run, was_kept = clean.keep_or_run(
                keep, params, args.fresh, partial(clean.cost_run, kind, seed, args.timeout)
            )
            run.tool, run.defect = kind, CLEAN
            runs.append(run)
            kept += was_kept
            paced = clean.paced_seconds(run.requests, run.seconds)
            print(
                f"cost {kind} seed {seed}: {run.requests} requests, {run.campaigns} campaigns, "
                f"{run.seconds}s unpaced, {paced:.0f}s paced, exit {run.exit_status}"
                + (" (kept)" if was_kept else "")
                + (f" ERROR {run.error}" if run.error else ""),
                flush=True,
            )
    return runs, kept


def _named(run: Run, name: str) -> Run:
    run.defect = name  # the runners know the defect, not the clean server's label
    return run


def _matrix(
    args: argparse.Namespace,
    servers: list[tuple[str, tuple[str, ...]]],
    reports: Path,
    started: float,
    code: str,
) -> tuple[list[Run], int]:
    jobs = [(t, name, seed) for name, _ in servers for seed in args.seeds for t in TOOLS]
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(args.jobs):
        slots.put(slot)

    def measure(tool: str, name: str, seed: int) -> Run:
        defect = "" if name == CLEAN else name
        limit = EMBEDDED_RATE_LIMIT if name.startswith("rate_limit_") else 0
        slot = slots.get()  # a block of ports of its own while it runs
        try:
            if tool == "gate":
                return runner.run_gate(defect, seed, args.timeout)
            return runner.run_schemathesis(
                defect, seed, slot, args.max_examples, args.timeout, limit
            )
        except (OSError, RuntimeError) as exc:  # a server that would not start: one run lost
            return Run(tool, name, seed, False, 0, 0.0, error=str(exc))
        finally:
            slots.put(slot)

    def one(tool: str, name: str, seed: int) -> tuple[Run, bool]:
        keep = reports / "bench" / "runs" / tool / f"{name.strip('()')}-seed{seed}.json"
        params = {"code": code, "max_examples": args.max_examples if tool != "gate" else None}
        run, kept = clean.keep_or_run(
            keep, params, args.fresh, lambda: _named(measure(tool, name, seed), name)
        )
        return run, kept

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
            stop_all()
            raise
    return results, reused


if __name__ == "__main__":
    sys.exit(main())
