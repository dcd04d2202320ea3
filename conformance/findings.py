"""Typed outcomes. A check that sees a rule broken raises `ConformanceFailure` carrying
`Finding`s; each names its rule id, what broke it and the exchange. Reports, baseline, the
mutation check and the bench read these objects (through `conformance.json`), never text.

The four kinds of outcome are kept apart everywhere: a conformance failure (the server broke a
rule), a transport fault (the exchange did not complete), throttling (a 429 outside the
rate-limit check, waited out and counted) and not tested (budget, time, persistent throttling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.wire.session import Exchange


class Kind(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a conformance failure: the server broke a rule
    ACCEPTED = "accepted"  # a failure listed in the baseline
    TRANSPORT = "transport"  # the exchange did not complete (fault, cap, deadline)
    NOT_TESTED = "not-tested"  # budget, time or persistent throttling stopped it
    SUITE_ERROR = "suite-error"  # the suite's own code raised: never a finding against the target
    OFF = "off"  # an optional check whose input was not given


@dataclass(frozen=True)
class Finding:
    """One broken rule, seen in one exchange."""

    rule: str
    what: tuple[str, ...]
    exchange: Exchange | None = None
    hint: str = ""
    # Baseline identity: Schemathesis findings keep their own failure class and key.
    failure: str = "ConformanceFailure"
    signature: str = ""
    # "reproduced (k of n)" or "intermittent (k of n)" when the case was run more than once.
    repeat: str = ""
    # A reproduce line of its own, when the exchange's curl line alone does not show it (a
    # burst); "" for the exchange's.
    reproduce: str = ""

    def render(self) -> str:
        from conformance.contract.rules import rule_text

        # What broke first (the line CI shows as the failure message), then the rule, quoted.
        first, *rest = self.what or ("",)
        lines = [f"[{self.rule}] {first}", f"  rule: {rule_text(self.rule)}"]
        if self.repeat:
            lines.insert(1, f"  {self.repeat}")
        lines += [f"  - {w}" for w in rest]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        if self.exchange is not None:
            lines.append(self.exchange.describe())
        return "\n".join(lines)


@dataclass
class ConformanceFailure(AssertionError):
    """Raised by a check; pytest reports it as a failed test, the plugin reads `findings`."""

    findings: Sequence[Finding] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(f.render() for f in self.findings)

    def __str__(self) -> str:
        return self.render()


class NotTested(Exception):
    """Budget, time or persistent throttling: the rest of the run is reported as not tested."""


class CannotJudge(Exception):
    """This check's premise did not hold (its rule is judged, and failed, elsewhere): the check
    is reported as not tested, and the run goes on."""


class CampaignBudgetSpent(CannotJudge):
    """MAX_CAMPAIGNS reached: a case that would create a campaign is not sent, and is reported
    not tested (never passed); the cases that create nothing go on."""


class TransportFault(Exception):
    """The exchange did not complete: refused, reset, timed out, over the size cap, undecodable.
    `kind` names the way it failed (conformance.wire.faults), for grouping and the preflight."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind
