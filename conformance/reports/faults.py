"""Transport faults grouped the way findings are: one entry per kind (conformance.wire.faults),
with its count and its first case, for the terminal and every report."""

from __future__ import annotations

from typing import Any


def group_faults(errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    """[{kind, count, test, reason}] in the order each kind was first seen."""
    groups: dict[str, dict[str, Any]] = {}
    for error in errors:
        kind = error.get("kind") or "other"
        if kind in groups:
            groups[kind]["count"] += 1
        else:
            groups[kind] = {
                "kind": kind,
                "count": 1,
                "test": error.get("test", ""),
                "reason": error.get("reason", ""),
            }
    return list(groups.values())


def fault_lines(groups: list[dict[str, Any]]) -> list[str]:
    """The terminal's lines: one per kind."""
    return [
        f"FAULT {g['kind']} ({g['count']} exchange(s)): {g['reason'][:300]}; first in {g['test']}"
        for g in groups
    ]
