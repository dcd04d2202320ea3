"""What the run did, for the reports: requests per test, waits, 429s waited out, transport
faults, the campaigns created (and the POSTs that may have created one), and the rules judged
on each exchange. It subscribes to the run's events; nothing else writes it."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.context import Expectation
from conformance.contract.document import target_operation
from conformance.run.events import (
    Event,
    ExchangeAnswered,
    FaultRecorded,
    TestStarted,
    Throttled,
    Waited,
)
from conformance.wire.exchange import Exchange


def _sent_name(exchange: Exchange) -> Any:
    """The name the request sent, when its body is a JSON object that has one."""
    try:
        sent = json.loads(exchange.request_body or b"")
    except ValueError:
        return None
    return sent.get("name") if isinstance(sent, dict) else None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Taken:
    """An exchange handed to the reports: the rules judged on it, what its case expected."""

    exchange: Exchange
    rules: frozenset[str]
    expect: Expectation | None = None


@dataclass
class Ledger:
    # Requests that reached the target (answered, or failed after the connection was made).
    by_test: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    throttled_by_test: Counter[str] = field(default_factory=Counter)
    throttle_wait: float = 0.0
    pace_wait: float = 0.0
    transport_errors: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    # POSTs that reached the target but got no complete answer: each may have created a campaign.
    maybe_created: list[dict[str, str]] = field(default_factory=list)
    # Exchanges not yet handed to the reports (each goes with its own test's end, so what a
    # later test judges on it is known), the rules judged on each (by identity), and the rules
    # judged during the test under way.
    unreported: list[Exchange] = field(default_factory=list)
    judged_on: dict[int, set[str]] = field(default_factory=dict)
    judged_now: set[str] = field(default_factory=set)
    # What the case expected of each (for exchanges.har: judging it later needs it).
    expected: dict[int, Expectation] = field(default_factory=dict)
    # Every answered request's round trip in seconds, in order: the run's latency figures for
    # the history, without keeping the exchanges themselves.
    elapsed: list[float] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.by_test.values())

    @property
    def campaigns(self) -> int:
        """Campaigns the run created, counting every POST that may have created one."""
        return len(self.created) + len(self.maybe_created)

    def __call__(self, event: Event) -> None:
        if isinstance(event, TestStarted):
            self.judged_now = set()
        elif isinstance(event, ExchangeAnswered):
            self.record(event.exchange)
        elif isinstance(event, FaultRecorded):
            if event.reached:
                self.by_test[event.test] += 1
                self.maybe_created.append({"time": _now(), "test": event.test})
            fault = {"test": event.test, "url": event.url, "reason": event.reason}
            self.transport_errors.append(fault | {"kind": event.kind})
        elif isinstance(event, Throttled):
            self.throttled += 1
            self.throttled_by_test[event.test] += 1
        elif isinstance(event, Waited):
            if event.why == "429":
                self.throttle_wait += event.seconds
            else:
                self.pace_wait += event.seconds

    def record(self, exchange: Exchange) -> None:
        self.by_test[exchange.test] += 1
        self.unreported.append(exchange)
        self.elapsed.append(exchange.elapsed)
        op = target_operation()
        if op.may_have_created(exchange.status):
            # Counted with the id when one is named (wrapped or not) and the name sent when the
            # answer names none, for a clean-up by hand.
            body = exchange.json()
            made = op.wrapped(body) or (body if isinstance(body, dict) else {})
            self.created.append(
                {
                    "id": made.get("id"),
                    "name": made.get("name") or _sent_name(exchange),
                    "time": _now(),
                    "test": exchange.test,
                }
            )

    def judge(self, exchange: Exchange, rules: Iterable[str]) -> None:
        rules = set(rules)
        self.judged_now |= rules
        self.judged_on.setdefault(id(exchange), set()).update(rules)

    def expect(self, exchange: Exchange, expectation: Expectation) -> None:
        self.expected[id(exchange)] = expectation

    def take(self, *tests: str) -> list[Taken]:
        """The exchanges of these tests (none named: all left), in order, with the rules judged
        on each and what was expected of it; they leave the ledger, which then holds no more
        than a test's exchanges."""
        taken = [e for e in self.unreported if not tests or e.test in tests]
        self.unreported = [e for e in self.unreported if e not in taken]
        return [
            Taken(e, frozenset(self.judged_on.pop(id(e), ())), self.expected.pop(id(e), None))
            for e in taken
        ]
