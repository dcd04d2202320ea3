"""Per-key rate limiters: fixed windows (the default), and the variants' sliding log and
wall-clock-aligned windows."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from . import variants
from .defects import active

WINDOW_SECONDS = 60.0
# Under auth defects arbitrary keys get through; keep the table bounded anyway.
_MAX_KEYS = 10_000


class Limiter(Protocol):
    def hit(self, key: str) -> int | None: ...


class FixedWindowLimiter:
    """Counts requests per key in fixed 60-second windows; limit 0 disables it.

    A key's window starts at its first request, unless `aligned`: then windows
    start at multiples of the window length on the clock (the wall clock, for the
    variant), so a burst can straddle a window end.
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        aligned: bool = False,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._aligned = aligned
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def peek(self, key: str) -> int | None:
        """What `hit` would answer, without counting (the race defect reads, then writes)."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window or count < self.limit:
            return None
        return max(1, math.ceil(start + self.window - now))

    def hit(self, key: str) -> int | None:
        """Count one request; None if admitted, else the whole seconds to wait."""
        if self.limit <= 0 or active("rate_limit_never"):
            return None
        if active("rate_limit_global"):
            key = "*"
        allowed = self.limit + 1 if active("rate_limit_off_by_one") else self.limit
        now = self._clock()
        with self._lock:
            fresh = now - now % self.window if self._aligned else now
            start, count = self._windows.get(key, (fresh, 0))
            if now - start >= self.window:
                start, count = fresh, 0
            count += 1
            if key not in self._windows and len(self._windows) >= _MAX_KEYS:
                self._prune(now)
            self._windows[key] = (start, count)
        if count <= allowed:
            return None
        # Rounded up so a client that waits exactly this long lands in a new window.
        return max(1, math.ceil(start + self.window - now))

    def _prune(self, now: float) -> None:
        live = {k: v for k, v in self._windows.items() if now - v[0] < self.window}
        if len(live) >= _MAX_KEYS:
            live.clear()
        self._windows = live


class SlidingLogLimiter:
    """A log of admitted requests per key: admitted while fewer than `limit` lie in the
    last window. Refused requests are not logged, so waiting retryAfter always helps."""

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._logs: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            log = self._logs.get(key)
            if log is None:
                if len(self._logs) >= _MAX_KEYS:
                    self._logs = {k: v for k, v in self._logs.items() if now - v[-1] < self.window}
                log = self._logs[key] = deque()
            while log and now - log[0] >= self.window:
                log.popleft()
            if len(log) < self.limit:
                log.append(now)
                return None
            oldest = log[0]
        # The oldest entry is younger than the window, so this never exceeds the window.
        return max(1, math.ceil(oldest + self.window - now))


def make_limiter(limit: int, window: float) -> Limiter:
    """The limiter the active variant asks for (the default: fixed windows per key)."""
    if variants.active("sliding_window_rate_limit"):
        return SlidingLogLimiter(limit, window)
    if variants.active("wall_clock_window_rate_limit"):
        return FixedWindowLimiter(limit, window, clock=time.time, aligned=True)
    return FixedWindowLimiter(limit, window)


def too_many(retry_after: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The 429 body and headers, with the rate-limit envelope defects applied."""
    body: dict[str, Any] = {
        "message": f"Rate limit exceeded; retry in {retry_after} seconds",
        "code": "TOO_MANY_REQUESTS" if active("rate_limit_wrong_code") else "RATE_LIMIT_EXCEEDED",
        "retryAfter": retry_after,
    }
    header = retry_after
    if active("rate_limit_no_retry_after"):
        del body["retryAfter"]
    elif active("rate_limit_retry_after_string"):
        body["retryAfter"] = str(retry_after)
    elif variants.active("retry_after_float"):
        body["retryAfter"] = float(retry_after)
    if active("rate_limit_header_disagrees"):
        header = retry_after + 30
    if variants.active("no_retry_after_header"):
        return body, {}
    return body, {"Retry-After": str(header)}
