"""Every rule id the engine names, with where it is named: the registered checks, the
Schemathesis failure map, the probe tables, the baseline, and every literal rule id in the
source of the engine and of the tests collected (a `fail("...")`, an expected status's rule, a
finding's rule, a `rule` marker). The pytest layer adds what a harness names (planted defects)
and validates them all against `openapi/rules.yaml` when the suite collects: a misspelt id
anywhere is a collection error naming its file and line."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from schemathesis.baseline import Baseline

from conformance.checks import property as prop
from conformance.checks.registry import CASE_RULE, registered
from conformance.contract.cases import PROBES, probes
from conformance.contract.rules import rules

ENGINE = Path(__file__).resolve().parents[1]
# The calls that take a rule id, and where: (position, keyword).
RULE_ARGUMENTS: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        "fail": (0, "rule"),
        "check": (0, "rule"),
        "semantic": (0, "rule"),
        "Finding": (0, "rule"),
        "expect_status": (3, "rule"),
        "expect_campaign": (2, "rule"),
        "rule": (0, "rule"),  # pytest.mark.rule
        "Expectation": (1, "rule"),
    }
)


@dataclass(frozen=True)
class NamedRule:
    rule: str
    where: str


def named_by_checks() -> list[NamedRule]:
    named = [NamedRule(c.rule, c.where) for c in registered() if c.rule != CASE_RULE]
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


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


@cache
def _literals(path: Path, text: str) -> tuple[NamedRule, ...]:
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, ast.Call) or _name(node.func) not in RULE_ARGUMENTS:
            continue
        position, keyword = RULE_ARGUMENTS[_name(node.func)]
        args = [node.args[position]] if len(node.args) > position else []
        args += [k.value for k in node.keywords if k.arg == keyword]
        found += [
            NamedRule(a.value, f"{path}:{a.lineno}")
            for a in args
            if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
    return tuple(found)


def named_in_source(files: Iterable[Path]) -> list[NamedRule]:
    """The literal rule ids of the engine's modules and of `files` (the collected tests)."""
    paths = sorted({*ENGINE.rglob("*.py"), *files})
    return [n for p in paths for n in _literals(p, p.read_text(encoding="utf-8"))]


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
