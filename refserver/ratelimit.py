"""Per-key fixed-window rate limiter."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from .defects import active

WINDOW_SECONDS = 60.0
# Under auth defects arbitrary keys get through; keep the table bounded anyway.
_MAX_KEYS = 10_000


class FixedWindowLimiter:
    """Counts requests per key in fixed 60-second windows; limit 0 disables it."""

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one request; None if admitted, else the whole seconds to wait."""
        if self.limit <= 0 or active("rate_limit_never"):
            return None
        if active("rate_limit_global"):
            key = "*"
        allowed = self.limit + 1 if active("rate_limit_off_by_one") else self.limit
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
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
    if active("rate_limit_header_disagrees"):
        header = retry_after + 30
    return body, {"Retry-After": str(header)}
