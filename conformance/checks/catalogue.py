"""Every rule id the engine names, with where it is named: registered checks, the Schemathesis
failure map, the probe tables and the baseline. The pytest layer adds the tests' `rule` markers
and whatever a harness names (planted defects), and validates them all against
`openapi/rules.yaml` when the suite collects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemathesis.baseline import Baseline

from conformance.checks import property as prop
from conformance.checks.registry import Check
from conformance.checks.semantic import SEMANTIC_CHECKS
from conformance.checks.verdict import ERROR_CHECKS, RESPONSE_CHECKS
from conformance.contract.cases import PROBES, probes
from conformance.contract.rules import rules


@dataclass(frozen=True)
class NamedRule:
    rule: str
    where: str


def named_by_checks() -> list[NamedRule]:
    registered: list[Check[..., list[str]]] = [*SEMANTIC_CHECKS, *RESPONSE_CHECKS, *ERROR_CHECKS]
    named = [NamedRule(c.rule, c.where) for c in registered]
    named += [
        NamedRule(rule, f"{prop.__file__} (RULE_OF_FAILURE[{kind.__name__}])")
        for kind, rule in prop.RULE_OF_FAILURE.items()
    ]
    named += [
        NamedRule(row["rule"], f"{PROBES} ({table}: {row.get('id', '?')})")
        for table, rows in probes().items()
        for row in rows
        if "rule" in row
    ]
    return named


def named_by_baseline(path: Path) -> list[NamedRule]:
    """The baseline's entries (a file that does not load is the run's setup stop, not this)."""
    try:
        baseline = Baseline.load(path)
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [NamedRule(entry.check, f"{path} (entry {entry.id})") for entry in baseline.entries]


def unknown(named: list[NamedRule]) -> list[str]:
    """One line per rule id that `openapi/rules.yaml` (and the request table) does not hold."""
    known = rules()
    return [f"{n.where}: unknown rule id {n.rule!r}" for n in named if n.rule not in known]
