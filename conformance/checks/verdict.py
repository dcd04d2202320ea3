"""Turning an exchange into a verdict: the registry's checks judge it, and what breaks a rule is
raised as findings that quote the rule and say what broke it. A test states what it expected
(`expect_status`, `expect_campaign`) or raises its own finding (`fail`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, Protocol

from conformance.checks import registry
from conformance.checks.context import CheckContext, Expectation, created
from conformance.checks.response import encoding_problems
from conformance.findings import ConformanceFailure, Finding
from conformance.wire.exchange import Exchange


class Judge(Protocol):
    """What a verdict needs of the run: the context of an exchange, and a record of the rules
    judged on it (a passing test counts as a passed case of each)."""

    def context(self, exchange: Exchange, expect: Expectation | None = None) -> CheckContext: ...

    def judged(self, exchange: Exchange, rules: Iterable[str]) -> None: ...


def fail(
    rule: str, problems: Iterable[str] | str, exchange: Exchange | None = None, hint: str = ""
) -> NoReturn:
    """Raise one finding: the rule, what broke it, the exchange."""
    what = (problems,) if isinstance(problems, str) else tuple(problems)
    raise ConformanceFailure([Finding(rule, what, exchange, hint)])


def verdict(
    judge: Judge, exchange: Exchange, expect: Expectation | None = None
) -> dict[str, Any] | None:
    """Every registered check that applies, stage by stage; the campaign the exchange created
    (None when it created none), or the findings raised."""
    findings = registry.judge(judge.context(exchange, expect), exchange, judged=judge.judged)
    if findings:
        raise ConformanceFailure(findings)
    return created(exchange)


def expect_status(
    judge: Judge,
    exchange: Exchange,
    expected: int | set[int],
    rule: str,
    hint: str = "",
    broken: str | None = None,
) -> None:
    """The status the contract assigns (`rule`'s), then everything else a response must be; for
    a body with one `broken` field, a 422 naming it."""
    verdict(judge, exchange, Expectation.of(expected, rule, hint, broken))


def expect_campaign(
    judge: Judge, exchange: Exchange, rule: str = "request.accepted-edges", hint: str = ""
) -> dict[str, Any]:
    """A 201 whose campaign says what the contract says it must about what was sent."""
    from conformance.contract.document import target_operation

    made = verdict(judge, exchange, Expectation.of(target_operation().success, rule, hint))
    assert made is not None  # a 201 with a documented body holds its campaign
    return made


def expect_utf8(judge: Judge, exchange: Exchange) -> None:
    """Before a test reads a body of its own: a body that is not UTF-8 is that rule's."""
    ctx = judge.context(exchange)
    findings = registry.judge(ctx, exchange, checks=[encoding_problems], judged=judge.judged)
    if findings:
        raise ConformanceFailure(findings)
