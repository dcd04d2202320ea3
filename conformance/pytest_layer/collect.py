"""Collection: the tests in the order the budget wants them, and every rule id they and the
engine name validated against `openapi/rules.yaml` before anything is sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.checks.catalogue import (
    NamedRule,
    named_by_baseline,
    named_by_checks,
    named_in_source,
    unknown,
)
from conformance.pytest_layer.classify import DECLARED
from conformance.settings import Settings

# Budget goes to the deterministic cases first; the property-based tests get the rest, and the
# rate-limit check (which exhausts the quota) runs last.
ORDER = ("boundary", "auth", "semantic", "robustness", "contract", "rate_limit")


def ordered(items: list[pytest.Item]) -> list[pytest.Item]:
    def rank(item: pytest.Item) -> int:
        return next((i for i, m in enumerate(ORDER) if item.get_closest_marker(m)), len(ORDER))

    return sorted(items, key=rank)


def validate_rule_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every rule id named anywhere (markers, checks, probes, literals in the source, baseline,
    a harness's planted defects) is one of `openapi/rules.yaml`'s: a misspelt id stops the
    collection, naming where."""
    named = [
        NamedRule(rule, f"{item.path} ({item.nodeid})")
        for item in items
        for rule in item.stash[DECLARED]
    ]
    named += named_by_checks()
    named += named_in_source(Path(str(item.path)) for item in items)
    allowed = os.environ.get("ALLOW_OFF", "").replace(",", " ").split()
    named += [NamedRule(rule, "ALLOW_OFF") for rule in allowed]
    baseline = os.environ.get("BASELINE", "").strip()
    named += named_by_baseline(Path(baseline) if baseline else Settings.reports_only().baseline)
    for extra in config.hook.pytest_conformance_rule_ids(config=config):
        named += [NamedRule(rule, where) for rule, where in extra]
    problems = sorted(set(unknown(named)))
    if problems:
        raise pytest.UsageError(
            "rule ids not in openapi/rules.yaml (fix the id, or add the rule):\n  "
            + "\n  ".join(problems)
        )
