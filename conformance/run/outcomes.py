"""What each test came to, and what the run exits with.

Exit statuses (README, "Exit statuses"): pytest's own 2-5 keep their meaning (interrupted,
internal error, usage error, no tests); ours are apart from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from conformance.findings import Finding, Kind

CONFORMING = 0
FINDINGS = 1
TRANSPORT_FAULTS = 6
NOT_TESTED = 7
SETUP_ERROR = 8
SUITE_ERROR = 9
RULES_OFF = 10

EXIT_MEANING: Mapping[int, str] = MappingProxyType(
    {
        CONFORMING: "conforming: every planned check ran and passed",
        FINDINGS: "findings: the target broke at least one rule",
        TRANSPORT_FAULTS: "transport faults: some exchanges did not complete (no rule found broken)",
        NOT_TESTED: "not tested: budget, time or throttling stopped checks before they ran",
        SETUP_ERROR: "setup error: configuration or preflight stopped the run before any test, "
        "or the target rejected an optional input (its checks not runnable, nothing else broken)",
        SUITE_ERROR: "suite error: the suite's own code failed (a bug of ours, not the target's)",
        RULES_OFF: "rules off: a strict gate with rules whose optional input was not given "
        "(name the inputs, or accept the rules off with ALLOW_OFF)",
    }
)
# The verdict in a word, by exit status (pytest's own statuses have theirs).
VERDICT: Mapping[int, str] = MappingProxyType(
    {
        CONFORMING: "CONFORMING",
        FINDINGS: "FINDINGS",
        2: "INTERRUPTED",
        3: "INTERNAL ERROR",
        4: "USAGE ERROR",
        5: "NO TESTS",
        TRANSPORT_FAULTS: "TRANSPORT FAULTS",
        NOT_TESTED: "NOT TESTED",
        SETUP_ERROR: "SETUP ERROR",
        SUITE_ERROR: "SUITE ERROR",
        RULES_OFF: "RULES OFF",
    }
)


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    declared: tuple[str, ...]
    kind: Kind
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    accepted_by: str = ""
    # Rules a failed test judged and found holding (its status was right, its body was not).
    held: tuple[str, ...] = ()
    # A suite error's traceback, for maintainers (the reports keep it; the terminal does not).
    traceback: str = ""
    # An "off" check whose optional input the target rejected at the vetting (not runnable).
    rejected_input: bool = False


def exit_status(results: Iterable[TestResult], setup_error: str = "") -> int:
    """Findings first (a real defect outranks the rest), then the suite's own errors (the run
    is incomplete, and not by the target's fault), then transport faults, then what was not
    tested. Only a run where every planned check ran and passed is 0."""
    if setup_error:
        return SETUP_ERROR
    kinds = {r.kind for r in results}
    if Kind.FAILED in kinds:
        return FINDINGS
    if Kind.SUITE_ERROR in kinds:
        return SUITE_ERROR
    # An optional input the target rejected is a setup problem to fix, once nothing else broke.
    if any(r.rejected_input for r in results):
        return SETUP_ERROR
    if Kind.TRANSPORT in kinds:
        return TRANSPORT_FAULTS
    if Kind.NOT_TESTED in kinds:
        return NOT_TESTED
    return CONFORMING


def after_end_errors(status: int) -> int:
    """The exit status once an end-of-run step of ours failed (a report not written): a suite
    error, unless findings or a setup stop outrank it (pytest's own statuses stand too)."""
    if status in (CONFORMING, TRANSPORT_FAULTS, NOT_TESTED):
        return SUITE_ERROR
    return status


def rules_off(results: Iterable[TestResult]) -> list[str]:
    """The rules every case of which is off (its optional input not given), in rule order."""
    off: dict[str, bool] = {}
    for r in results:
        for rule in r.declared:
            off[rule] = off.get(rule, True) and r.kind is Kind.OFF and not r.rejected_input
    return sorted(rule for rule, all_off in off.items() if all_off)


def strict(status: int, off: list[str], allowed: Iterable[str]) -> int:
    """A strict gate's status: never conforming with a rule off that was not accepted off."""
    if status == CONFORMING and set(off) - set(allowed):
        return RULES_OFF
    return status
