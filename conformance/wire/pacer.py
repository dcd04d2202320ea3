"""The pace of a rate-limited target, per key: a request is sent when fewer than RATE_LIMIT of
this run's requests with its key lie in the last RATE_WINDOW seconds (and a small margin).

That never puts more than the limit in any window, sliding or fixed (a fixed window is one of
the sliding ones), and sends each window's share back to back instead of one a second: the
run's first window is a burst of its own useful requests, which is where the rate-limit check
reads its proof (`conformance/checks/ratewindow.py`), so it needs no quiet window of its own.
The limit is per key (CONTRACT.md), so each key has its own log.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Beyond the window: the target's window starts when the first request arrives, a little after
# this run sent it.
MARGIN_SHARE = 0.01
MIN_MARGIN = 0.25


@dataclass
class KeyPacer:
    limit: int
    window: float
    logs: dict[str | None, deque[float]] = field(default_factory=dict)

    @property
    def margin(self) -> float:
        return max(MIN_MARGIN, self.window * MARGIN_SHARE)

    def wait(self, key: str | None, now: float) -> float:
        """Seconds until a request with `key` may be sent."""
        log = self.logs.get(key)
        if log is None or len(log) < self.limit:
            return 0.0
        return max(0.0, log[-self.limit] + self.window + self.margin - now)

    def record(self, key: str | None, now: float) -> None:
        log = self.logs.setdefault(key, deque(maxlen=max(self.limit, 1) + 4))
        log.append(now)

    def room(self, key: str | None, now: float) -> int:
        """How many requests with `key` may go at once now, within the limit."""
        log = self.logs.get(key, ())
        recent = sum(1 for t in log if t + self.window + self.margin > now)
        return max(0, self.limit - recent)
