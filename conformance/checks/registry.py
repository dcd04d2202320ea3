"""The one registry of checks. A check is a small function `(context, exchange) -> problems`,
registered with `@check("<rule id>", stage=..., when=...)`: the rule it judges, the stage it
belongs to, and the exchanges it applies to. The registry finds every check in the modules of
this package; there is no hand-kept list.

Judging an exchange walks the stages in order and stops at the first that finds a problem, so
one defect is one rule's finding: a server fault before an undocumented status, that before
the case's own status, that before the body's encoding, its error code, a 429's fields, its schema, its
error paths; the semantic stage last, where every broken rule is reported.
No pytest here: a check is called the same way on a live exchange and on a recorded one."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from types import MappingProxyType
from typing import Any

from conformance.checks.context import CheckContext
from conformance.findings import Finding
from conformance.wire.exchange import Exchange

Problems = list[str]
CheckFunction = Callable[[CheckContext, Exchange], Problems]
Applies = Callable[[CheckContext, Exchange], bool]
# The rule of a check that judges the case's own expectation (`Expectation.rule`).
CASE_RULE = "<the case's rule>"


class Stage(IntEnum):
    FAULT = 1
    STATUS = 2
    EXPECTED = 3
    ENCODING = 4
    ERROR_CODE = 5
    RATE = 6  # a 429's own fields, before the schema that says them less precisely
    BODY = 7
    ERROR_PATHS = 8
    SEMANTIC = 9


def always(ctx: CheckContext, exchange: Exchange) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Check:
    """A check function and what the registry knows of it; called like the function."""

    rule: str
    func: CheckFunction
    stage: Stage
    when: Applies = always
    hint: str = ""
    # A change to a conforming campaign that breaks the rule (a semantic check's own
    # counterexample: its unit test applies it, so a new check needs no table elsewhere).
    broken_by: Mapping[str, Any] | None = None

    def __call__(self, ctx: CheckContext, exchange: Exchange) -> Problems:
        return self.func(ctx, exchange)

    @property
    def name(self) -> str:
        return self.func.__name__

    @property
    def where(self) -> str:
        """The check's place in the code, for an error that names it."""
        code = self.func.__code__
        return f"{code.co_filename}:{code.co_firstlineno} ({self.name})"

    def rule_for(self, ctx: CheckContext) -> str:
        if self.rule == CASE_RULE:
            return ctx.expect.rule if ctx.expect is not None else CASE_RULE
        return self.rule


def check(
    rule: str,
    *,
    stage: Stage,
    when: Applies = always,
    hint: str = "",
    broken_by: Mapping[str, Any] | None = None,
) -> Callable[[CheckFunction], Check]:
    """Register a check under its rule id (found by `registered`, validated at collection)."""

    def wrap(func: CheckFunction) -> Check:
        frozen = MappingProxyType(dict(broken_by)) if broken_by is not None else None
        return Check(rule, func, stage, when, hint, frozen)

    return wrap


@cache
def registered() -> tuple[Check, ...]:
    """Every check of every module of this package, by stage, then in the order written."""
    package = importlib.import_module(__package__ or "conformance.checks")
    found: list[Check] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [v for v in vars(module).values() if isinstance(v, Check)]
    unique = list(dict.fromkeys(found))
    return tuple(sorted(unique, key=lambda c: (c.stage, c.where)))


def judge(
    ctx: CheckContext,
    exchange: Exchange,
    checks: Iterable[Check] | None = None,
    judged: Callable[[Exchange, Iterable[str]], None] | None = None,
) -> list[Finding]:
    """The findings of the first stage that finds a problem (every rule of it), else none.
    `judged` is told the rules judged on the exchange (the stages walked)."""
    by_stage: dict[Stage, list[Check]] = {}
    for c in registered() if checks is None else checks:
        by_stage.setdefault(c.stage, []).append(c)
    for stage in sorted(by_stage):
        applicable = [c for c in by_stage[stage] if c.when(ctx, exchange)]
        if judged is not None:
            judged(exchange, [c.rule_for(ctx) for c in applicable])
        grouped: dict[str, tuple[list[str], str]] = {}
        for c in applicable:
            problems = c(ctx, exchange)
            if problems:
                grouped.setdefault(c.rule_for(ctx), ([], c.hint))[0].extend(problems)
        if grouped:
            return [
                Finding(rule, tuple(what), exchange, _hint(ctx, rule, hint))
                for rule, (what, hint) in grouped.items()
            ]
    return []


def _hint(ctx: CheckContext, rule: str, own: str) -> str:
    """A check's own hint, else the case's for its own rule."""
    if own:
        return own
    expect = ctx.expect
    return expect.hint if expect is not None and expect.rule == rule else ""
