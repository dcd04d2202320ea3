"""Transport faults grouped the way findings are: one entry per kind (conformance.wire.faults),
with its count and its first case, for the terminal and every report."""

from __future__ import annotations

from conformance.reports.model import FaultGroup


def group_faults(errors: list[dict[str, str]]) -> tuple[FaultGroup, ...]:
    """One group per kind, in the order each kind was first seen."""
    counts: dict[str, int] = {}
    first: dict[str, dict[str, str]] = {}
    for error in errors:
        kind = error.get("kind") or "other"
        counts[kind] = counts.get(kind, 0) + 1
        first.setdefault(kind, error)
    return tuple(
        FaultGroup(kind, counts[kind], first[kind].get("test", ""), first[kind].get("reason", ""))
        for kind in counts
    )


def fault_lines(groups: tuple[FaultGroup, ...]) -> list[str]:
    """The terminal's lines: one per kind."""
    return [
        f"FAULT {g.kind} ({g.count} exchange(s)): {g.reason[:300]}; first in {g.test}"
        for g in groups
    ]
