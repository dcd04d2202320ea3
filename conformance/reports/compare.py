"""A run against the earlier runs of its target and contract: each broken rule is new (not
broken in the previous run), persisting since a date (so many runs in a row), or flaky (its
state changed more than once within the last `FLAKY_WINDOW` runs); a rule broken in the previous
run that passes now is fixed. Pure functions of the recorded verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.reports import model as m

FLAKY_WINDOW = 10


@dataclass(frozen=True)
class Past:
    """One earlier run: its chart point and every rule's verdict."""

    point: m.RunPoint
    verdicts: dict[str, str] = field(default_factory=dict)

    def broken(self) -> set[str]:
        return {rule for rule, verdict in self.verdicts.items() if verdict == "failed"}


def point(report: m.Report, p50: float | None, p95: float | None) -> m.RunPoint:
    v = report.verdicts
    run = report.run
    return m.RunPoint(
        run.run_id, run.started, run.exit_status, v.failed, v.not_tested, v.passed, p50, p95
    )


def flaky(states: list[str]) -> bool:
    """Broken, then not, then broken again (or the reverse) within the window: runs where the
    rule was not judged (not tested, off) say nothing either way."""
    judged = [s == "failed" for s in states[-FLAKY_WINDOW:] if s in ("failed", "passed")]
    return sum(a != b for a, b in zip(judged, judged[1:], strict=False)) >= 2


def label(rule: str, past: list[Past], streak: tuple[str, int] | None = None) -> m.RuleLabel:
    """The label of a rule broken in this run, `past` being the earlier runs, oldest first, and
    `streak` (start, count) the earlier runs in a row that broke it, when the store counted them
    (it sees beyond `past`)."""
    states = [p.verdicts.get(rule, "no case") for p in past] + ["failed"]
    if flaky(states):
        return m.RuleLabel(rule, "flaky", None, 0)
    since, earlier = streak if streak is not None else _streak_in(past, rule)
    if earlier == 0:
        return m.RuleLabel(rule, "new", None, 1)
    return m.RuleLabel(rule, "persisting", since, earlier + 1)


def _streak_in(past: list[Past], rule: str) -> tuple[str, int]:
    """(start of the earliest, count) of the last runs in a row of `past` that broke `rule`."""
    since, count = "", 0
    for p in reversed(past):
        if p.verdicts.get(rule) != "failed":
            break
        since, count = p.point.started, count + 1
    return since, count


def compare(
    db: str,
    past: list[Past],
    report: m.Report,
    p50: float | None,
    p95: float | None,
    streaks: Mapping[str, tuple[str, int]] | None = None,
) -> m.History:
    now = point(report, p50, p95)
    previous = past[-1] if past else None
    labels: tuple[m.RuleLabel, ...] = ()
    fixed: tuple[str, ...] = ()
    if previous is not None:
        labels = tuple(
            label(r.rule, past, None if streaks is None else streaks.get(r.rule, ("", 0)))
            for r in report.broken
        )
        passed = {r.rule for r in report.rules if r.verdict == "passed"}
        fixed = tuple(sorted(previous.broken() & passed))
    return m.History(
        db=db,
        previous_run=previous.point.run_id if previous else None,
        previous_started=previous.point.started if previous else None,
        labels=labels,
        fixed=fixed,
        runs=tuple(p.point for p in past) + (now,),
    )
