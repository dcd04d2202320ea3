"""What a run publishes as it goes, typed: every report, the terminal, the HAR, the history's
record and a tool following the run (the mutation check's early stop) subscribe to these, and a
reporter can be fed a recorded list of them with no target at all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.wire.signals import ExchangeAnswered, FaultRecorded, Progress, Throttled, Waited

if TYPE_CHECKING:
    from conformance.findings import Finding
    from conformance.reports.model import Report
    from conformance.run.ledger import Taken
    from conformance.run.outcomes import TestResult


@dataclass(frozen=True)
class RunStarted:
    """The start block: target, depth, optional checks, the plan (lines of the terminal)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class TestStarted:
    __test__ = False  # not a pytest test class

    test: str


@dataclass(frozen=True)
class FindingMade:
    test: str
    finding: Finding


@dataclass(frozen=True)
class TestFinished:
    __test__ = False  # not a pytest test class

    result: TestResult
    # The test's exchanges, the rules judged on each and what it expected (the HAR's).
    exchanges: tuple[Taken, ...] = ()


@dataclass(frozen=True)
class RunEnding:
    """Every test has ended: the exchanges no test took (the preflight's, the vetting's)."""

    exchanges: tuple[Taken, ...] = ()


@dataclass(frozen=True)
class RunFinished:
    """The run's report, built (its history attached): the files are written from it."""

    report: Report | None


@dataclass(frozen=True)
class RunReported:
    """The reports are written: the report as they say it (an end-of-run failure included)."""

    report: Report


Event = (
    RunStarted
    | TestStarted
    | ExchangeAnswered
    | FaultRecorded
    | Throttled
    | Waited
    | Progress
    | FindingMade
    | TestFinished
    | RunEnding
    | RunFinished
    | RunReported
)
Subscriber = Callable[[Event], None]


@dataclass
class Events:
    """The run's bus: subscribers are called in the order they subscribed."""

    subscribers: list[Subscriber] = field(default_factory=list)
    # A batch of concurrent requests publishes from several threads: subscribers are called
    # one event at a time, so none of them needs a lock of its own.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def publish(self, event: Event) -> None:
        with self._lock:
            for subscriber in list(self.subscribers):
                subscriber(event)


__all__ = [
    "Event",
    "Events",
    "ExchangeAnswered",
    "FaultRecorded",
    "FindingMade",
    "Progress",
    "RunEnding",
    "RunFinished",
    "RunReported",
    "RunStarted",
    "TestFinished",
    "TestStarted",
    "Throttled",
    "Waited",
]
