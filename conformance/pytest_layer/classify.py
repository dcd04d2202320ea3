"""A test's outcome from typed objects: findings from `ConformanceFailure`, not tested from
`NotTested` or `CannotJudge`, transport faults from `TransportFault`; never from text. Anything
else a test raised is the suite's own error: never a finding against the target."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from conformance.findings import (
    CannotJudge,
    ConformanceFailure,
    Finding,
    Kind,
    NotTested,
    TransportFault,
)
from conformance.run.inputs import InputMissing, NotRunnable
from conformance.run.outcomes import TestResult
from conformance.run.run import Run
from conformance.wire.redact import redact

# A test's declared rules, on the item (its nodeid changes while Schemathesis runs subtests),
# and whether one of its subtests failed.
DECLARED = pytest.StashKey[tuple[str, ...]]()
SUBFAILED = pytest.StashKey[bool]()


def find_all(exc: BaseException | None, kind: type[BaseException]) -> list[BaseException]:
    """Every `kind` in an exception's cause, context or group (Hypothesis wraps failures)."""
    seen: set[int] = set()
    todo, found = [exc], []
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, kind):
            found.append(cur)
        todo += [cur.__cause__, cur.__context__, *getattr(cur, "exceptions", ())]
    return found


def suite_error(
    ctx: Run, item: pytest.Item, exc: BaseException | None, rep: pytest.TestReport
) -> TestResult:
    """Our own exception: one line for the user, the traceback for the reports."""
    secrets = ctx.secrets()
    if exc is not None:
        line = redact(f"{type(exc).__name__}: {exc}".splitlines()[0][:300], secrets)
        trace = "".join(traceback.format_exception(exc))
    else:
        line, trace = "the test failed without an exception", str(rep.longrepr)
    rep.longrepr = (
        f"suite error (a bug of the suite, not a finding against the target): {line}; "
        "the traceback is in conformance.json (suite_errors)"
    )
    return TestResult(
        item.nodeid,
        item.stash[DECLARED],
        Kind.SUITE_ERROR,
        reason=f"suite error: {line}",
        traceback=redact(trace, secrets),
    )


def classify(
    ctx: Run, item: pytest.Item, call: pytest.CallInfo[Any], rep: pytest.TestReport
) -> TestResult | None:
    declared = item.stash[DECLARED]
    judged = ctx.ledger.judged_now
    exc = call.excinfo.value if call.excinfo else None
    # NotTested stops the rest of the run; CannotJudge only this check.
    stops, unjudged = find_all(exc, NotTested), find_all(exc, CannotJudge)
    if stops or unjudged:
        reason = str((stops or unjudged)[0])
        if stops and not ctx.stopped:
            ctx.stopped = reason
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, f"Skipped: not tested: {reason}")
        return TestResult(item.nodeid, declared, Kind.NOT_TESTED, reason=reason)
    if rejected := find_all(exc, NotRunnable):
        reason = str(rejected[0])
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, f"Skipped: {reason}")
        return TestResult(item.nodeid, declared, Kind.OFF, reason=reason, rejected_input=True)
    if missing := find_all(exc, InputMissing):
        reason = str(missing[0])
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, f"Skipped: {reason}")
        return TestResult(item.nodeid, declared, Kind.OFF, reason=reason)
    failures = find_all(exc, ConformanceFailure)
    if (faults := find_all(exc, TransportFault)) and not failures:
        # One line, like a finding: the fault says what happened; no traceback of ours.
        rep.longrepr = f"transport fault ({getattr(faults[0], 'kind', 'other')}): {faults[0]}"
        return TestResult(item.nodeid, declared, Kind.TRANSPORT, reason=str(faults[0]))
    if rep.failed:
        if not failures:
            return suite_error(ctx, item, exc, rep)
        findings: list[Finding] = [f for cf in failures for f in cf.findings]  # type: ignore[attr-defined]
        test = item.nodeid.split("::", 1)[-1]
        entry = ctx.accepted.covers(findings, test)
        if entry is not None:
            rep.outcome = "skipped"
            rep.wasxfail = f"accepted deviation {entry.id}: {entry.extra.get('reason')}"
            return TestResult(
                item.nodeid, declared, Kind.ACCEPTED, tuple(findings), accepted_by=entry.id
            )
        # The findings say it all (rule, what broke, the exchange): no traceback of ours.
        rep.longrepr = "\n".join(f.render() for f in findings)
        broken = {f.rule for f in findings}
        held = tuple(sorted(r for r in judged if r not in broken and r in declared))
        return TestResult(item.nodeid, declared, Kind.FAILED, tuple(findings), held=held)
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        return TestResult(item.nodeid, declared, Kind.OFF, reason=reason.removeprefix("Skipped: "))
    if call.when == "call":
        return TestResult(
            item.nodeid, tuple(dict.fromkeys((*declared, *sorted(judged)))), Kind.PASSED
        )
    return None
