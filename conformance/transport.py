"""One HTTP session for every request the suite sends: pacing, bounded retries, budget, ledger.

Schemathesis cases are sent through the same session (`case.call(session=...)`), so the
deterministic cases and the property-based ones share the budget and the rate-limit pacing.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import requests

from conformance.redact import curl_line, excerpt, redact_headers
from conformance.settings import Settings

MAX_RETRY_AFTER = 65.0  # a 60-per-minute window never needs longer
THROTTLE_RETRIES = 3


class BudgetExhausted(Exception):
    """MAX_REQUESTS or MAX_TIME reached: the rest of the run is skipped, not failed."""


class TransportFault(Exception):
    """Time-out, refused or reset connection, after the bounded retries."""


@dataclass
class Exchange:
    """One request and its response, with the key already masked."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    elapsed: float

    @classmethod
    def from_response(cls, response: requests.Response) -> Exchange:
        req = response.request
        body = req.body.encode() if isinstance(req.body, str) else req.body
        return cls(
            method=req.method or "POST",
            url=req.url or "",
            request_headers=redact_headers(dict(req.headers)),
            request_body=body,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content,
            elapsed=response.elapsed.total_seconds(),
        )

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        return self._parsed

    @cached_property
    def _parsed(self) -> Any:
        # Parsed once: a verdict reads the body for the status, the schema, the code and the echo.
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def curl(self) -> str:
        return curl_line(self.method, self.url, self.request_headers, self.request_body)

    def describe(self) -> str:
        ctype = self.response_headers.get("content-type", "<none>")
        return (
            f"request:  {self.curl()}\n"
            f"response: {self.status} ({ctype}) {excerpt(self.response_body)}"
        )


@dataclass
class Ledger:
    """What the run did, for the reports: counts, waits, faults and created campaigns."""

    sent: int = 0
    by_test: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    throttle_wait: float = 0.0
    transport_errors: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    current_test: str = "<setup>"

    def record(self, response: requests.Response) -> None:
        self.sent += 1
        self.by_test[self.current_test] += 1
        if response.status_code == 201:
            try:
                campaign = response.json().get("campaign") or {}
            except (ValueError, AttributeError):
                return
            if isinstance(campaign, dict) and campaign.get("id"):
                self.created.append(
                    {
                        "id": campaign.get("id"),
                        "name": campaign.get("name"),
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "test": self.current_test,
                    }
                )


class GuardedSession(requests.Session):
    """A requests session that paces, retries within bounds, and stops at the budget."""

    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        super().__init__()
        self.settings = settings
        self.ledger = ledger
        self.started = time.monotonic()
        self._last_sent = 0.0
        self._raw_429 = False
        # Pacing only protects real targets; the embedded server is never throttled by default.
        self._interval = (
            60.0 / settings.rate_limit
            if settings.rate_limit and not settings.embedded_origin
            else 0.0
        )

    @contextmanager
    def rate_limit_probe(self) -> Iterator[None]:
        """Send as fast as possible and hand 429s back: the rate-limit check wants to see them."""
        saved = self._interval, self._raw_429
        self._interval, self._raw_429 = 0.0, True
        try:
            yield
        finally:
            self._interval, self._raw_429 = saved

    def _guard_budget(self) -> None:
        limit = self.settings.max_requests
        if limit is not None and self.ledger.sent >= limit:
            raise BudgetExhausted(f"request budget MAX_REQUESTS={limit} reached")
        if time.monotonic() - self.started > self.settings.max_time:
            raise BudgetExhausted(f"time budget MAX_TIME={self.settings.max_time:g}s reached")

    def _pace(self) -> None:
        wait = self._last_sent + self._interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_sent = time.monotonic()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.settings.request_timeout
        for throttle_try in range(THROTTLE_RETRIES + 1):
            response = self._send_with_transport_retries(request, **kwargs)
            if response.status_code != 429 or self._raw_429 or throttle_try == THROTTLE_RETRIES:
                return response
            self.ledger.throttled += 1
            wait = _retry_after(response)
            self.ledger.throttle_wait += wait
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_with_transport_retries(
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        attempts = self.settings.transport_retries + 1
        for attempt in range(attempts):
            self._guard_budget()
            self._pace()
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = type(exc).__name__
                self.ledger.transport_errors.append(
                    {"test": self.ledger.current_test, "url": request.url or "", "reason": reason}
                )
                if attempt + 1 == attempts:
                    raise TransportFault(
                        f"{reason} talking to {request.url} after {attempts} attempt(s)"
                    ) from None
                time.sleep(min(2.0**attempt * 0.5, 5.0))
                continue
            self.ledger.record(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def _retry_after(response: requests.Response) -> float:
    """Seconds to wait after a 429: the body's retryAfter, else the header, else 1; bounded,
    since a hostile or broken value must not stall or crash the run."""
    body: Any = None
    with suppress(ValueError, AttributeError):
        body = response.json().get("retryAfter")
    seconds = _seconds(body)
    if seconds is None:
        seconds = _seconds(response.headers.get("Retry-After"))
    return min(max(seconds if seconds is not None else 1.0, 0.5), MAX_RETRY_AFTER)
