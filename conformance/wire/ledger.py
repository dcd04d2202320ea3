"""What the run did, for the reports: requests, waits, faults and created campaigns."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.document import target_operation
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


@dataclass
class Ledger:
    # Requests that reached the target (answered, or failed after the connection was made).
    sent: int = 0
    by_test: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    throttle_wait: float = 0.0
    pace_wait: float = 0.0
    transport_errors: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    # POSTs that reached the target but got no complete answer: each may have created a campaign.
    maybe_created: list[dict[str, str]] = field(default_factory=list)
    current_test: str = "<setup>"
    # The exchanges of the current test, for the rules its verdicts judged.
    exchanges: list[Exchange] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # Every answered request's round trip in seconds, in order: the run's latency figures for
    # the history, without keeping the exchanges themselves.
    elapsed: list[float] = field(default_factory=list)
    # Where each exchange goes once its test has ended (its rules are judged by then), with the
    # wall-clock time it was sent: the HAR writer. Only the current test's are held meanwhile.
    sink: Callable[[Exchange, float], None] | None = None
    pending: list[tuple[Exchange, float]] = field(default_factory=list)

    @property
    def campaigns(self) -> int:
        """Campaigns the run created, counting every POST that may have created one."""
        return len(self.created) + len(self.maybe_created)

    def begin(self, test: str) -> None:
        """A new test starts: its requests count against it from here."""
        self.flush()
        self.current_test = test
        self.exchanges = []

    @contextmanager
    def filed_under(self, test: str) -> Iterator[None]:
        """The requests sent inside count and are recorded under `test`, whichever test is
        running (a proof one test's request sets off for another)."""
        outer, self.current_test = self.current_test, test
        try:
            yield
        finally:
            self.current_test = outer

    def flush(self) -> None:
        """The exchanges recorded so far go to the sink (at a test's end and the run's)."""
        pending, self.pending = self.pending, []
        if self.sink is not None:
            for exchange, sent_at in pending:
                self.sink(exchange, sent_at)

    def adopt(self, exchange: Exchange) -> None:
        """An exchange made earlier (the preflight's) that the current test judges."""
        self.exchanges.append(exchange)

    def judged(self) -> set[str]:
        """Every rule judged on the current test's exchanges."""
        return {rule for exchange in self.exchanges for rule in exchange.judged}

    def record(self, exchange: Exchange) -> None:
        self.sent += 1
        self.exchanges.append(exchange)
        self.elapsed.append(exchange.elapsed)
        if self.sink is not None:
            self.pending.append((exchange, time.time() - exchange.elapsed))
        self.by_test[self.current_test] += 1
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
                    "test": self.current_test,
                }
            )

    def uncertain(self) -> None:
        self.by_test[self.current_test] += 1
        self.maybe_created.append({"time": _now(), "test": self.current_test})

    def fault(self, url: str, reason: str, kind: str = "other") -> None:
        self.transport_errors.append(
            {"test": self.current_test, "url": url, "reason": reason, "kind": kind}
        )
