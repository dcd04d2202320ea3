"""Intermittence: a case judged more than once, so a finding says whether it reproduces.

At the gate a failing case is sent again once (the re-run counts against the request budget
like any request); at the nightly a chosen share of the cases is sent `NIGHTLY_RUNS` times
whatever the first outcome. A rule that fails on every run is "reproduced (k of n)"; one that
fails on some and holds on others is "intermittent (k of n)", shown with a failing exchange.
The re-run is the same request built again by the check, never a re-run of a pytest item.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from conformance.run.findings import ConformanceFailure, Finding, NotTested

T = TypeVar("T")

NIGHTLY_RUNS = 4  # each repeated case at the nightly: the first run and three more
NIGHTLY_SHARE = 2  # one case in NIGHTLY_SHARE is repeated (chosen by a stable hash of its id)


def repeated_at_nightly(case_id: str) -> bool:
    """The nightly's share, stable across runs and machines (not Python's salted hash)."""
    return zlib.crc32(case_id.encode()) % NIGHTLY_SHARE == 0


def planned_runs(case_id: str, depth: str) -> int:
    """How many times a passing case is sent: what the plan counts."""
    return NIGHTLY_RUNS if depth == "nightly" and repeated_at_nightly(case_id) else 1


def label(failed: int, runs: int) -> str:
    if runs < 2:
        return ""
    kind = "reproduced" if failed == runs else "intermittent"
    return f"{kind} ({failed} of {runs})"


def judge_repeatedly(attempt: Callable[[], T], case_id: str, depth: str) -> T:
    """Run `attempt` (build the request, send it, judge the answer) and label its findings.

    `attempt` raises ConformanceFailure when a rule is broken. The gate re-runs a failure
    once; the nightly runs its share `NIGHTLY_RUNS` times. A budget stop during a re-run
    ends the repeats: the findings so far are reported, labelled by the runs that happened.
    """
    runs = planned_runs(case_id, depth)
    failures: list[ConformanceFailure] = []
    results: list[T] = []
    done = 0
    while done < runs or (failures and done < 2):
        try:
            results.append(attempt())
        except ConformanceFailure as failure:
            failures.append(failure)
        except NotTested:
            if done == 0:
                raise
            break
        done += 1
    if not failures:
        return results[0]
    raise ConformanceFailure(_labelled(failures, done))


def _labelled(failures: list[ConformanceFailure], runs: int) -> list[Finding]:
    """The first finding of each broken rule (its failing exchange), with its rate."""
    first: dict[str, Finding] = {}
    count: dict[str, int] = {}
    for failure in failures:
        for rule in dict.fromkeys(f.rule for f in failure.findings):
            count[rule] = count.get(rule, 0) + 1
        for finding in failure.findings:
            first.setdefault(finding.rule, finding)
    return [replace(f, repeat=label(count[rule], runs)) for rule, f in first.items()]
