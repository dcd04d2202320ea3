"""The run's request budget and clock (MAX_REQUESTS, MAX_TIME), and what a 429 asks the client to
wait, bounded: what the guarded session checks before and after every request."""

from __future__ import annotations

import math
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import requests

from conformance.findings import NotTested

MAX_RETRY_AFTER = 65.0  # a 60-per-minute window never needs longer


class BudgetExhausted(NotTested):
    """MAX_REQUESTS or MAX_TIME reached: the rest of the run is not tested, not failed."""


@dataclass
class RequestBudget:
    """The requests that reached the target and the run's clock, against MAX_REQUESTS and
    MAX_TIME (0 for MAX_REQUESTS means none may be sent; None, no limit). One per run, shared
    by its sessions (the main target's and a rate-limited sibling's)."""

    max_requests: int | None
    max_time: float
    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> None:
        """A request reached the target (a batch's threads count at once)."""
        with self._lock:
            self.sent += 1

    def remaining(self) -> float:
        return self.max_time - (time.monotonic() - self.started)

    def check(self) -> None:
        if self.max_requests is not None and self.sent >= self.max_requests:
            raise BudgetExhausted(f"request budget MAX_REQUESTS={self.max_requests} reached")
        if self.remaining() <= 0:
            raise BudgetExhausted(f"time budget MAX_TIME={self.max_time:g}s reached")


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def retry_after(response: requests.Response) -> float:
    """Seconds to wait after a 429: the body's retryAfter, else the header, else 1; bounded,
    since a hostile or broken value must not stall or crash the run."""
    body: Any = None
    with suppress(ValueError, AttributeError, RecursionError):
        body = response.json().get("retryAfter")
    seconds = _seconds(body)
    if seconds is None:
        seconds = _seconds(response.headers.get("Retry-After"))
    return min(max(seconds if seconds is not None else 1.0, 0.5), MAX_RETRY_AFTER)
