"""What the transport says as it works: an answer, a fault, a 429 waited out, a wait, a tick.
The session publishes these and knows nothing of who listens (the run's ledger, the HAR, the
terminal: `conformance/run/events.py` gathers them with the run's own events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.wire.exchange import Exchange


@dataclass(frozen=True)
class ExchangeAnswered:
    exchange: Exchange


@dataclass(frozen=True)
class FaultRecorded:
    """An exchange that did not complete; `reached`: the request may have reached the target
    (then it is counted, and a POST may have created a campaign)."""

    test: str
    url: str
    reason: str
    kind: str
    reached: bool


@dataclass(frozen=True)
class Throttled:
    """A 429 outside the rate-limit check: waited out, counted, never a failure."""

    test: str
    key_var: str | None
    seconds: float


@dataclass(frozen=True)
class Waited:
    """Time spent waiting: `why` is "pace" (the rate limit's pace, a fresh window) or "429"."""

    seconds: float
    why: str


@dataclass(frozen=True)
class Progress:
    """A tick during a long test or wait: what the run has done so far."""

    sent: int
    elapsed: float
    test: str


Signal = ExchangeAnswered | FaultRecorded | Throttled | Waited | Progress
Publish = Callable[[Signal], None]
