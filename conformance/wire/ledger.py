"""What the run did, for the reports: requests, waits, faults and created campaigns."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.wire.exchange import Exchange


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
    started: float = field(default_factory=time.monotonic)

    def record(self, exchange: Exchange) -> None:
        self.sent += 1
        self.by_test[self.current_test] += 1
        if exchange.status != 201:
            return
        body = exchange.json()
        campaign = body.get("campaign") if isinstance(body, dict) else None
        if isinstance(campaign, dict) and campaign.get("id"):
            self.created.append(
                {
                    "id": campaign.get("id"),
                    "name": campaign.get("name"),
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
