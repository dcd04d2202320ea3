"""What each test came to, and what the run exits with.

Exit statuses (README, "Exit statuses"): pytest's own 2-5 keep their meaning (interrupted,
internal error, usage error, no tests); ours are apart from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.run.findings import Finding, Kind

CONFORMING = 0
FINDINGS = 1
TRANSPORT_FAULTS = 6
NOT_TESTED = 7
SETUP_ERROR = 8

EXIT_MEANING = {
    CONFORMING: "conforming: every planned check ran and passed",
    FINDINGS: "findings: the target broke at least one rule",
    TRANSPORT_FAULTS: "transport faults: some exchanges did not complete (no rule found broken)",
    NOT_TESTED: "not tested: budget, time or throttling stopped checks before they ran",
    SETUP_ERROR: "setup error: configuration or preflight stopped the run before any test, "
    "or the target rejected an optional input (its checks not runnable, nothing else broken)",
}


@dataclass
class TestResult:
    nodeid: str
    declared: tuple[str, ...]
    kind: Kind
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    accepted_by: str = ""
    # Rules a failed test judged and found holding (its status was right, its body was not).
    held: tuple[str, ...] = ()
    # An "off" check whose optional input the target rejected at the vetting (not runnable).
    rejected_input: bool = False


def exit_status(results: Iterable[TestResult], setup_error: str = "") -> int:
    """Findings first (a real defect outranks the rest), then transport faults, then what was
    not tested. Only a run where every planned check ran and passed is 0."""
    if setup_error:
        return SETUP_ERROR
    kinds = {r.kind for r in results}
    if Kind.FAILED in kinds:
        return FINDINGS
    # An optional input the target rejected is a setup problem to fix, once nothing else broke.
    if any(r.rejected_input for r in results):
        return SETUP_ERROR
    if Kind.TRANSPORT in kinds:
        return TRANSPORT_FAULTS
    if Kind.NOT_TESTED in kinds:
        return NOT_TESTED
    return CONFORMING
