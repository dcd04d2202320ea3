"""The mutation check, two-sided: the suite against the reference server clean, against each
legal variant (each must pass: a failure is a false alarm, a bug in the suite) and against each
planted defect (each must be detected by one of the rules it breaks), on both HTTP stacks.

Usage: python -m tooling.mutation [--jobs N] [--only NAME ...] [--stacks uvicorn,stdlib]
                                  [--defect-stacks uvicorn] [--docs docs/mutation.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path

from conformance.run.settings import ROOT
from tooling.suiteruns import CLEAN, Job, Result, catalogue, fork_server, run_job


def verdict(r: Result) -> str:
    if r.job.kind == "defect":
        return {"own": "detected", "wrong": "WRONG RULE", "missed": "MISSED"}[r.detection]
    return "passes" if r.exit_code == 0 else f"FALSE ALARM (exit {r.exit_code})"


def table(results: list[Result]) -> str:
    lines = [
        "| server | stack | depth | rules it breaks | verdict | failed rules | requests | seconds |",
        "|---|---|---|---|---|---|---:|---:|",
    ]
    for r in results:
        failed = ", ".join(f"`{x}`" for x in r.failed_rules) or "-"
        name = f"`{r.job.name}`" + (f" ({r.job.group})" if r.job.group else "")
        lines.append(
            f"| {name} | {r.job.stack} | {r.job.depth} | {', '.join(r.job.rules) or '-'} | "
            f"{verdict(r)} | {failed} | {r.requests} | {r.seconds} |"
        )
    return "\n".join(lines)


def jobs_for(args: argparse.Namespace) -> list[Job]:
    defects, variants = catalogue("--list-defects"), catalogue("--list-variants")
    only = set(args.only or [])
    stacks, defect_stacks = args.stacks.split(","), args.defect_stacks.split(",")
    jobs = [Job("clean", CLEAN, s, ()) for s in stacks]
    for v in variants:
        if only and v["name"] not in only:
            continue
        wanted = [v["stack"]] if v.get("stack") and v["stack"] != "any" else stacks
        jobs += [Job("variant", v["name"], s, ()) for s in wanted if s in stacks]
    for d in defects:
        if not only or d["name"] in only:
            jobs += [
                Job(
                    "defect",
                    d["name"],
                    s,
                    tuple(d["rules"]),
                    d.get("depth", "gate"),
                    d.get("group", ""),
                )
                for s in defect_stacks
            ]
    return jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--only", nargs="*", help="defect or variant names to run (default: all)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--stacks", default="uvicorn,stdlib", help="stacks for clean and variants")
    parser.add_argument("--defect-stacks", default="uvicorn,stdlib", help="stacks for defects")
    parser.add_argument("--docs", type=Path, help="also write the table to this Markdown file")
    parser.add_argument(
        "--full",
        action="store_true",
        help="run every defect to the end (default: a defect's run stops once all its rules "
        "have failed; the verdict is the same, the failed-rules column is then complete)",
    )
    parser.add_argument(
        "--no-fork",
        action="store_true",
        help="a fresh interpreter per run (default: forked from one that imported the suite once)",
    )
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", ROOT / "reports"))
    jobs = jobs_for(args)
    print(f"mutation check: {len(jobs)} suite runs, {args.jobs} at a time", flush=True)
    started = time.monotonic()
    results: dict[Job, Result] = {}
    forks = None if args.no_fork else fork_server()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        if forks is not None:
            stack.callback(forks.close)
        futures = [
            pool.submit(run_job, job, reports / "mutation", args.seed, forks=forks, full=args.full)
            for job in jobs
        ]
        for done, future in enumerate(as_completed(futures), 1):
            r = future.result()
            results[r.job] = r
            print(
                f"[{done}/{len(jobs)}] {r.job.name} ({r.job.stack}): {verdict(r)} ({r.seconds}s)",
                flush=True,
            )
    ordered = [results[j] for j in jobs]
    defects = [r for r in ordered if r.job.kind == "defect"]
    conforming = [r for r in ordered if r.job.kind != "defect"]
    own = sum(r.detection == "own" for r in defects)
    alarms = [r for r in conforming if r.exit_code != 0]
    reached = {rule for r in defects for rule in r.failed_rules if rule in r.job.rules}
    all_rules = sorted({rule for r in conforming for rule in r.all_rules})
    unreached = [rule for rule in all_rules if rule not in reached]
    wrong = [r for r in defects if r.detection == "wrong"]
    text = table(ordered)
    text += (
        "\n\nRules no defect makes fail: "
        + (", ".join(f"`{r}`" for r in unreached) or "none")
        + "."
    )
    text += (
        "\n\nDefects caught only by another rule: "
        + (
            ", ".join(f"`{r.job.name}` ({r.job.stack}: {', '.join(r.failed_rules)})" for r in wrong)
            or "none"
        )
        + "."
    )
    conditional = [r for r in defects if r.job.group == "conditional"]
    text += (
        f"\n\nConditional defects (a combination, a value shape at an edge, every Nth request; "
        f"each at its own depth): {sum(r.detection == 'own' for r in conditional)}/"
        f"{len(conditional)} caught by their own rule."
    )
    summary = (
        f"mutation score: {own}/{len(defects)} (each by its own rule); "
        f"false alarms: {len(alarms)}/{len(conforming)} conforming servers (clean and variants)"
    )
    elapsed = round(time.monotonic() - started)
    doc = (
        "# Mutation check\n\nThe suite against the reference server clean, each legal variant and "
        f"each planted defect (seed {args.seed}, derandomized; {elapsed}s wall with {args.jobs} "
        f"jobs).\n\n{text}\n\n{summary}\n"
    )
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "mutation.md").write_text(doc, encoding="utf-8")
    if args.docs:
        args.docs.parent.mkdir(parents=True, exist_ok=True)
        args.docs.write_text(doc, encoding="utf-8")
    print(text)
    for r in alarms:
        print(f"FALSE ALARM: {r.job.name} ({r.job.stack}): see {r.out}/pytest.log")
    print(summary)
    ok = own == len(defects) and not alarms and not unreached
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
