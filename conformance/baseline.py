"""Accepted deviations, in Schemathesis's own baseline format (`schemathesis.baseline`).

An entry names one finding: operation, check (our rule id, or `property` with the Schemathesis
check's failure), failure (the test, or the Schemathesis failure class) and signature. With a
`reason` it no longer fails the gate; an entry that matched nothing in a run is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from schemathesis.baseline import Baseline, BaselineEntry, Identity

OPERATION = "POST /v2/campaigns"


def finding_identities(nodeid: str, rules: list[str], exc: BaseException | None) -> list[Identity]:
    """The identities of one failed test: Schemathesis failures by their own key, ours by test."""
    failures = [f for f in getattr(exc, "exceptions", ()) if hasattr(f, "_unique_key")]
    if failures:
        return [
            (f.operation or OPERATION, "property", type(f).__name__, f._unique_key)
            for f in failures
        ]
    test = nodeid.split("::", 1)[-1]
    return [(OPERATION, rule, "ConformanceFailure", test) for rule in rules or ["unclassified"]]


@dataclass
class Accepted:
    entries: list[BaselineEntry] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Accepted:
        baseline = Baseline.load(path)
        for entry in baseline.entries:
            if not str(entry.extra.get("reason", "")).strip():
                raise ValueError(
                    f"baseline entry {entry.id} ({entry.check} / {entry.signature}) has no reason"
                )
        return cls(entries=baseline.entries)

    def covers(self, identities: list[Identity]) -> BaselineEntry | None:
        """The entry accepting this finding, when every identity of it is listed."""
        index = {e.identity: e for e in self.entries}
        matched = [index.get(i) for i in identities]
        if not identities or any(m is None for m in matched):
            return None
        for entry in matched:
            assert entry is not None
            self.used.add(entry.id)
        return matched[0]

    def stale(self) -> list[BaselineEntry]:
        return [e for e in self.entries if e.id not in self.used]
