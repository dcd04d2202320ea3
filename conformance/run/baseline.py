"""Accepted deviations, in Schemathesis's own baseline format, matched by Schemathesis's own
`Baseline.match` (which honours `expires`).

An entry names one finding: operation, check (the rule id), failure (`ConformanceFailure`, or a
Schemathesis failure class for a finding of its checks) and signature (the test, or Schemathesis's
failure key). With a `reason` it no longer fails the gate; an entry that matched nothing in a run
is stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from schemathesis.baseline import Baseline, BaselineEntry

from conformance.contract.document import target_operation
from conformance.findings import Finding


@cache
def _failure_class(name: str) -> type:
    # `Baseline.match` identifies a failure by its class name, operation and `_unique_key`.
    return type(name, (), {})


def as_failure(finding: Finding, test: str) -> Any:
    failure = _failure_class(finding.failure)()
    failure.operation = target_operation().label
    failure._unique_key = finding.signature or test
    return failure


@dataclass
class Accepted:
    baseline: Baseline = field(default_factory=lambda: Baseline(entries=[]))
    used: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Accepted:
        baseline = Baseline.load(path)
        for entry in baseline.entries:
            if not str(entry.extra.get("reason", "")).strip():
                raise ValueError(
                    f"baseline entry {entry.id} ({entry.check} / {entry.signature}) has no reason"
                )
        return cls(baseline=baseline)

    def covers(self, findings: Sequence[Finding], test: str) -> BaselineEntry | None:
        """The entry accepting this test's failure, when every finding of it is listed."""
        matched = [self.baseline.match(as_failure(f, test), f.rule) for f in findings]
        if not findings or any(m is None for m in matched):
            return None
        for entry in matched:
            assert entry is not None
            self.used.add(entry.id)
        return matched[0]

    def stale(self) -> list[BaselineEntry]:
        return [e for e in self.baseline.entries if e.id not in self.used]
