"""Intermittence: a case judged more than once, so a finding says whether it reproduces.

At the gate a failing case is sent again once (the re-run counts against the request budget
like any request, and a case that creates a campaign against the campaign budget); at the
nightly a chosen share of the cases that create nothing is sent `NIGHTLY_RUNS` times whatever
the first outcome (a case that creates a campaign is not repeated: the campaign budget goes to
the property tests). A rule that fails on every run is "reproduced (k of n)"; one that
fails on some and holds on others is "intermittent (k of n)", shown with a failing exchange.
The re-run is the same request built again by the check, never a re-run of a pytest item.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from conformance.findings import CampaignBudgetSpent, ConformanceFailure, Finding, NotTested

T = TypeVar("T")

NIGHTLY_RUNS = 4  # each repeated case at the nightly: the first run and three more
NIGHTLY_SHARE = 2  # one case in NIGHTLY_SHARE is repeated (chosen by a stable hash of its id)


@dataclass
class Allowance:
    """The re-runs of failures a run may still spend: one per broken rule (one case tells
    reproduced from intermittent; a constant defect breaking forty cases must not double the
    requests), each within what is left of `requests` and `campaigns`, so the gate stays within
    its plan and a re-run never takes another case's campaign. What each test took is kept:
    the run holds a test to its declared cost plus its re-runs."""

    requests: int
    campaigns: int
    rules: set[str] = field(default_factory=set)
    taken: dict[str, tuple[int, int]] = field(default_factory=dict)

    def spend(self, test: str, requests: int, campaigns: int) -> bool:
        """A probe a finding asks for (the culprit of a packed body), when it is left."""
        if requests > self.requests or campaigns > self.campaigns:
            return False
        self.requests -= requests
        self.campaigns -= campaigns
        had = self.taken.get(test, (0, 0))
        self.taken[test] = (had[0] + requests, had[1] + campaigns)
        return True

    def take(self, failure: ConformanceFailure, test: str, requests: int, campaigns: int) -> bool:
        new = {f.rule for f in failure.findings} - self.rules
        if not new or requests > self.requests or campaigns > self.campaigns:
            return False
        self.rules |= new
        self.requests -= requests
        self.campaigns -= campaigns
        had = self.taken.get(test, (0, 0))
        self.taken[test] = (had[0] + requests, had[1] + campaigns)
        return True


def repeated_at_nightly(case_id: str) -> bool:
    """The nightly's share, stable across runs and machines (not Python's salted hash)."""
    return zlib.crc32(case_id.encode()) % NIGHTLY_SHARE == 0


def planned_runs(case_id: str, depth: str, creates: bool = False) -> int:
    """How many times a passing case is sent: what the plan counts."""
    repeated = depth == "nightly" and not creates and repeated_at_nightly(case_id)
    return NIGHTLY_RUNS if repeated else 1


def label(failed: int, runs: int) -> str:
    if runs < 2:
        return ""
    kind = "reproduced" if failed == runs else "intermittent"
    return f"{kind} ({failed} of {runs})"


def judge_repeatedly(
    attempt: Callable[[], T],
    case_id: str,
    depth: str,
    allowance: Allowance,
    test: str,
    cost: tuple[int, int] = (1, 0),
    creates: bool = False,
) -> T:
    """Run `attempt` (build the request, send it, judge the answer) and label its findings.

    `attempt` raises ConformanceFailure when a rule is broken. A failure is re-run once when
    the allowance admits it (a rule not re-run yet, and `cost`, one attempt's requests and
    campaigns, left); the nightly runs its share `NIGHTLY_RUNS` times whatever happens. A budget
    stop during a re-run ends the repeats: the findings so far are reported, labelled by the runs
    that happened (unlabelled after one run); so does a spent campaign budget.
    """
    runs = planned_runs(case_id, depth, creates)
    failures: list[ConformanceFailure] = []
    results: list[T] = []
    done = 0
    while done < runs or (done == 1 and failures and allowance.take(failures[0], test, *cost)):
        try:
            results.append(attempt())
        except ConformanceFailure as failure:
            failures.append(failure)
        except (NotTested, CampaignBudgetSpent):
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
