"""The mutation check: the suite against the clean reference server and against every planted
defect. The clean run must pass and every defect must be detected.

Usage: python -m tooling.mutation [--jobs N] [--only NAME ...] [--docs docs/mutation.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from conformance.settings import ROOT
from tooling.childenv import child_env

CLEAN = "(clean)"
RUN_TIMEOUT = 300


@dataclass
class Result:
    defect: str
    rule: str
    exit_code: int
    first_failure: str = ""
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    rules: dict[str, int] = field(default_factory=dict)  # rule -> failed cases

    @property
    def detected(self) -> bool:
        return self.exit_code == 1 and bool(self.failures)


def catalogue() -> list[dict[str, str]]:
    """The server's own list, over its CLI: the suite never imports the server."""
    out = subprocess.run(
        [sys.executable, "-m", "refserver", "--list-defects"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def _failures(junit: Path) -> list[str]:
    if not junit.exists():
        return []
    names = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            names.append(f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}")
    return names


def run_one(defect: str, rule: str, reports: Path, seed: int) -> Result:
    out = reports / "mutation" / (defect if defect != CLEAN else "clean")
    out.mkdir(parents=True, exist_ok=True)
    env = child_env(REPORTS_DIR=str(out), SEED=str(seed), DERANDOMIZE="1", PYTHONHASHSEED="0")
    if defect != CLEAN:
        env["REFSERVER_DEFECT"] = defect
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/conformance",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={out / 'junit.xml'}",
    ]
    started = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    (out / "pytest.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    result = Result(defect, rule, proc.returncode, seconds=round(time.monotonic() - started, 1))
    result.failures = _failures(out / "junit.xml")
    result.first_failure = result.failures[0] if result.failures else ""
    report = out / "conformance.json"
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        result.requests = data["requests"]["sent"]
        result.rules = {rule: row["failed"] for rule, row in data["rules"].items()}
    return result


def unexercised(results: list[Result]) -> list[str]:
    """Rules of the clean run that no defect makes fail: checks not yet proven able to fail."""
    clean = next(r for r in results if r.defect == CLEAN)
    caught = {rule for r in results if r.defect != CLEAN for rule, n in r.rules.items() if n}
    return sorted(set(clean.rules) - caught)


def table(results: list[Result]) -> str:
    lines = [
        "| defect | rule broken | detected | first failing test | requests | seconds |",
        "|---|---|:---:|---|---:|---:|",
    ]
    for r in results:
        mark = (
            ("pass" if r.exit_code == 0 else "FAIL")
            if r.defect == CLEAN
            else ("yes" if r.detected else "NO")
        )
        lines.append(
            f"| `{r.defect}` | {r.rule} | {mark} | {r.first_failure or '-'} | {r.requests} | {r.seconds} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--only", nargs="*", help="defect names to run (default: all)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--docs", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", ROOT / "reports"))
    defects = [d for d in catalogue() if not args.only or d["name"] in args.only]
    jobs = [(CLEAN, "-")] + [(d["name"], d["rule"]) for d in defects]
    print(
        f"mutation check: clean server + {len(defects)} defects, {args.jobs} at a time", flush=True
    )
    results: dict[str, Result] = {}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_one, name, rule, reports, args.seed): name for name, rule in jobs
        }
        for done, future in enumerate(as_completed(futures), 1):
            r = future.result()
            results[r.defect] = r
            verdict = "detected" if r.detected else ("clean" if r.defect == CLEAN else "MISSED")
            if r.defect == CLEAN:
                verdict = "passes" if r.exit_code == 0 else f"FAILS (exit {r.exit_code})"
            print(f"[{done}/{len(jobs)}] {r.defect}: {verdict} ({r.seconds}s)", flush=True)
    ordered = [results[name] for name, _ in jobs]
    detected = sum(r.detected for r in ordered if r.defect != CLEAN)
    clean = results[CLEAN]
    text = table(ordered)
    elapsed = round(time.monotonic() - started)
    idle = unexercised(ordered)
    text += "\n\nRules no defect makes fail: " + (", ".join(f"`{r}`" for r in idle) or "none") + "."
    summary = f"mutation score: {detected}/{len(defects)}"
    doc = (
        f"# Mutation check\n\nThe suite against the clean reference server and each planted defect "
        f"(seed {args.seed}, derandomized; {elapsed}s wall with {args.jobs} jobs).\n\n{text}\n\n{summary}\n"
    )
    (reports / "mutation.md").write_text(doc, encoding="utf-8")
    if args.docs:
        args.docs.parent.mkdir(parents=True, exist_ok=True)
        args.docs.write_text(doc, encoding="utf-8")
    print(text)
    if clean.exit_code != 0:
        print(f"the clean server FAILS the suite: see {reports}/mutation/clean/pytest.log")
    print(summary)
    return 0 if clean.exit_code == 0 and detected == len(defects) else 1


if __name__ == "__main__":
    sys.exit(main())
