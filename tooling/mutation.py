"""The mutation check, two-sided: the suite against the reference server clean, against each
legal variant (each must pass: a failure is a false alarm, a bug in the suite) and against each
planted defect (each must be detected by one of the rules it breaks), on both HTTP stacks.

Each run is the suite in a worker process of a pool (`--jobs`, two), against a reference server
served in that same process (`tooling/targets.py`): no interpreter starts per run. A defect's
run stops once every one of its rules has failed (`--full`: every run to the end).

Usage: python -m tooling.mutation [--jobs N] [--only NAME ...] [--stacks uvicorn,stdlib]
                                  [--defect-stacks uvicorn,stdlib] [--docs docs/mutation.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.run.events import Event, FindingMade
from conformance.run.run import Run
from conformance.settings import ROOT
from refserver import defects, variants
from tooling.runs import child_env, run_here
from tooling.targets import InProcessTarget

CLEAN = "(clean)"
SEED = 20261126
# A wall for each run (the suite ends itself at MAX_TIME): a run here cannot be killed.
RUN_MAX_TIME = "240"


@dataclass(frozen=True)
class Job:
    kind: str  # clean / variant / defect
    name: str
    stack: str
    rules: tuple[str, ...] = ()  # a defect's rules
    depth: str = "gate"  # the suite's DEPTH that must catch a defect (the catalogue says)
    group: str = ""  # the catalogue's group ("conditional": combination, shape, every Nth)


@dataclass
class Result:
    job: Job
    exit_code: int
    out: Path
    failed_rules: list[str] = field(default_factory=list)
    all_rules: list[str] = field(default_factory=list)
    requests: int = 0
    campaigns: int = 0
    seconds: float = 0.0

    @property
    def detection(self) -> str:
        """own: one of the defect's rules failed; wrong: only other rules; missed: none."""
        if any(rule in self.job.rules for rule in self.failed_rules):
            return "own"
        return "wrong" if self.failed_rules else "missed"


class StopWhenBroken:
    """Ends a defect's run, as `-x` would, once every rule of the defect has failed: no later
    test can change the verdict. A run that has not caught its defect goes to the end. A pytest
    plugin that subscribes to the run's events."""

    def __init__(self, rules: tuple[str, ...]) -> None:
        self.wanted = set(rules)

    @pytest.hookimpl
    def pytest_conformance_subscribe(self, run: Run) -> None:
        def follow(event: Event) -> None:
            if isinstance(event, FindingMade) and self.wanted:
                self.wanted.discard(event.finding.rule)
                if not self.wanted:
                    run.request_stop("every rule of the planted defect has failed")

        run.events.subscribe(follow)


def run_job(
    job: Job,
    reports: Path,
    seed: int = SEED,
    *args: str,
    full: bool = False,
    target: InProcessTarget | None = None,
) -> Result:
    """One run, in this process; a defect's run stops once all its rules have failed, unless
    `full`. `target`: the server to run against (its apps count what they answered)."""
    slug = "clean" if job.name == CLEAN else job.name
    out = reports / job.stack / slug
    # A planted defect's run is no run of a target: it stays out of any history.
    env = child_env(SEED=str(seed), DERANDOMIZE="1", HISTORY_DB="off", MAX_TIME=RUN_MAX_TIME)
    env["DEPTH"] = job.depth
    defect = job.name if job.kind == "defect" else ""
    variant = job.name if job.kind == "variant" else ""
    plugins: list[Any] = [target or InProcessTarget(defect, variant, job.stack)]
    if job.kind == "defect" and not full:
        plugins.append(StopWhenBroken(job.rules))
    run = run_here(out, "-q", *args, env=env, plugins=plugins)
    (out / "pytest.log").write_text(run.output, encoding="utf-8")
    result = Result(job, 2 if run.code is None else run.code, out, seconds=run.seconds)
    report = run.report()
    if report is not None:
        result.requests = report.requests.sent
        result.campaigns = report.requests.campaigns_created
        result.failed_rules = [r.rule for r in report.rules if r.failed]
        result.all_rules = [r.rule for r in report.rules]
    return result


def jobs_for(only: set[str], stacks: list[str], defect_stacks: list[str]) -> list[Job]:
    jobs = [Job("clean", CLEAN, s) for s in stacks]
    for v in variants.CATALOGUE:
        if not only or v.name in only:
            wanted = [v.stack] if v.stack != variants.ANY else stacks
            jobs += [Job("variant", v.name, s) for s in wanted if s in stacks]
    for d in defects.CATALOGUE:
        if not only or d.name in only:
            jobs += [Job("defect", d.name, s, d.rules, d.depth, d.group) for s in defect_stacks]
    return jobs


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


def summarise(ordered: list[Result], seed: int, jobs: int, elapsed: float) -> tuple[str, bool]:
    """The document's text, and whether the check passes."""
    defect_runs = [r for r in ordered if r.job.kind == "defect"]
    conforming = [r for r in ordered if r.job.kind != "defect"]
    own = sum(r.detection == "own" for r in defect_runs)
    alarms = [r for r in conforming if r.exit_code != 0]
    reached = {rule for r in defect_runs for rule in r.failed_rules if rule in r.job.rules}
    all_rules = sorted({rule for r in conforming for rule in r.all_rules})
    unreached = [rule for rule in all_rules if rule not in reached]
    wrong = [r for r in defect_runs if r.detection == "wrong"]
    conditional = [r for r in defect_runs if r.job.group == "conditional"]
    summary = (
        f"mutation score: {own}/{len(defect_runs)} (each by its own rule); "
        f"false alarms: {len(alarms)}/{len(conforming)} conforming servers (clean and variants)"
    )
    text = "\n\n".join(
        [
            table(ordered),
            "Rules no defect makes fail: "
            + (", ".join(f"`{r}`" for r in unreached) or "none")
            + ".",
            "Defects caught only by another rule: "
            + (", ".join(f"`{r.job.name}` ({r.job.stack})" for r in wrong) or "none")
            + ".",
            "Conditional defects (a combination, a value shape at an edge, every Nth request; "
            f"each at its own depth): {sum(r.detection == 'own' for r in conditional)}/"
            f"{len(conditional)} caught by their own rule.",
            *(f"FALSE ALARM: {r.job.name} ({r.job.stack}): see {r.out}/pytest.log" for r in alarms),
            summary,
        ]
    )
    doc = (
        "# Mutation check\n\nThe suite against the reference server clean, each legal variant and "
        f"each planted defect (seed {seed}, derandomized; {elapsed:.0f}s wall with {jobs} "
        f"jobs).\n\n{text}\n"
    )
    ok = own == len(defect_runs) and not alarms and not unreached
    return doc, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--only", nargs="*", help="defect or variant names to run (default: all)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--stacks", default="uvicorn,stdlib", help="stacks for clean and variants")
    parser.add_argument("--defect-stacks", default="uvicorn,stdlib", help="stacks for defects")
    parser.add_argument("--docs", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--full", action="store_true", help="run every defect to the end")
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", ROOT / "reports")) / "mutation"
    jobs = jobs_for(set(args.only or []), args.stacks.split(","), args.defect_stacks.split(","))
    print(f"mutation check: {len(jobs)} suite runs, {args.jobs} at a time", flush=True)
    started = time.monotonic()
    results: dict[Job, Result] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_job, j, reports, args.seed, full=args.full) for j in jobs]
        for done, future in enumerate(as_completed(futures), 1):
            r = future.result()
            results[r.job] = r
            print(
                f"[{done}/{len(jobs)}] {r.job.name} ({r.job.stack}): {verdict(r)} ({r.seconds}s)",
                flush=True,
            )
    doc, ok = summarise(
        [results[j] for j in jobs], args.seed, args.jobs, time.monotonic() - started
    )
    (reports.parent / "mutation.md").write_text(doc, encoding="utf-8")
    if args.docs:
        args.docs.parent.mkdir(parents=True, exist_ok=True)
        args.docs.write_text(doc, encoding="utf-8")
    print(doc.split("\n\n", 2)[-1])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
