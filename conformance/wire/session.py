"""One HTTP session for every request the suite sends: only the document's operation, to the
configured origin, never a redirect; paced, counted and within the budget; a total deadline per
request and a bounded read; retries only when the request never reached the target.

Schemathesis cases are sent through the same session (`case.call(session=...)`), so every
request of the run is paced, counted and capped the same way. The session only transports: it
publishes what happened (an answer, a fault, a wait, a 429 waited out) and the run's ledger,
HAR and terminal subscribe; it sends nothing of its own accord.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from conformance.contract.document import target_operation
from conformance.findings import NotTested, TransportFault
from conformance.settings import Settings
from conformance.wire.adapter import TrackingAdapter, never_reached
from conformance.wire.budget import MAX_RETRY_AFTER, BudgetExhausted, RequestBudget, retry_after
from conformance.wire.exchange import Exchange
from conformance.wire.faults import ambiguous_framing, classify
from conformance.wire.pacer import KeyPacer
from conformance.wire.signals import (
    ExchangeAnswered,
    FaultRecorded,
    Progress,
    Publish,
    Throttled,
    Waited,
)

THROTTLE_RETRIES = 3
WAIT_SLICE = 5.0

__all__ = [
    "MAX_RETRY_AFTER",
    "BudgetExhausted",
    "Exchange",
    "GuardedSession",
    "RequestBudget",
    "TransportFault",
    "retry_after",
]

# Every exception of the HTTP stack is a transport fault, never a conformance failure.
HTTP_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException)


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A jar that keeps nothing: every request is exactly its reproduce line, and a target's
    Set-Cookie is never sent back (a "missing key" request stays without credentials)."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class RefusedRequest(RuntimeError):
    """The suite tried to send something other than the document's operation to the target."""


class GuardedSession(requests.Session):
    """A requests session that paces, retries within bounds, and stops at the budget."""

    def __init__(
        self,
        settings: Settings,
        budget: RequestBudget,
        publish: Publish,
        test: Callable[[], str],
    ) -> None:
        """`publish` is told what happens; `test` names the test each request counts against."""
        super().__init__()
        self.settings = settings
        self.budget = budget
        self.publish = publish
        self.test = test
        self._last_sent = 0.0
        self._raw_429 = False
        self._lock = threading.Lock()
        # Each answered request's Exchange, by the request sent (Schemathesis hands back its own
        # response object, but keeps ours `request`).
        self._exchanges: weakref.WeakKeyDictionary[requests.PreparedRequest, Exchange] = (
            weakref.WeakKeyDictionary()
        )
        op = target_operation()
        self._method = op.method.upper()
        self._allowed = urlsplit((settings.base_url or "") + op.path)
        self.cookies.set_policy(NoCookies())
        # Certificate checking is never off. requests reads REQUESTS_CA_BUNDLE (and
        # CURL_CA_BUNDLE) itself; SSL_CERT_FILE, OpenSSL's own variable, is honoured here too.
        if cafile := os.environ.get("SSL_CERT_FILE", "").strip():
            self.verify = cafile
        self._adapter = TrackingAdapter()
        self.mount("http://", self._adapter)
        self.mount("https://", self._adapter)
        # Pacing protects the target; a harness says when its own needs none. Per key, a
        # window's share back to back (wire/pacer.py).
        self._interval = settings.pace_interval
        self.pacer = (
            KeyPacer(settings.rate_limit, settings.rate_window)
            if self._interval and settings.rate_limit
            else None
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

    def exchange_of(self, request: requests.PreparedRequest | None) -> Exchange:
        """The Exchange this session built for a request it sent and got an answer to."""
        with self._lock:
            if request is None or request not in self._exchanges:
                raise LookupError("no exchange was recorded for this request")
            return self._exchanges[request]

    def _progress(self) -> None:
        self.publish(
            Progress(self.budget.sent, time.monotonic() - self.budget.started, self.test())
        )

    def _wait(self, seconds: float) -> None:
        """Sleep in slices, saying so: a paced run, a window of silence or a 429 being waited
        out never leaves the terminal quiet for long."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, WAIT_SLICE))
            self._progress()

    def remaining(self) -> float:
        return self.budget.remaining()

    def room(self, key: str | None, at_most: int) -> int:
        """How many requests with `key` may go at once now (at most `at_most`): what the pace
        leaves of the key's window, so a concurrent batch never puts more in it than the limit."""
        if self.pacer is None:
            return at_most
        return min(at_most, self.pacer.room(key, time.monotonic()))

    def key_wait(self, key: str | None) -> float:
        """Seconds until a request with `key` may be sent under the pace (0: unpaced)."""
        return self.pacer.wait(key, time.monotonic()) if self.pacer is not None else 0.0

    def _guard(self, request: requests.PreparedRequest) -> None:
        url = urlsplit(request.url or "")
        allowed = self._allowed
        if request.method != self._method or (url.scheme, url.netloc, url.path) != (
            allowed.scheme,
            allowed.netloc,
            allowed.path,
        ):
            raise RefusedRequest(
                f"refused to send {request.method} {url.path}: only {self._method} "
                f"{allowed.path} on the configured origin"
            )
        self.budget.check()

    def _pace(self, request: requests.PreparedRequest) -> None:
        if self.pacer is None or not self._interval:
            wait = self._last_sent + self._interval - time.monotonic()
        else:
            wait = self.pacer.wait(request.headers.get("x-api-key"), time.monotonic())
        if wait > 0:
            self._wait_within_budget(wait, "for the pace")
        self._last_sent = time.monotonic()

    def _paced(self, request: requests.PreparedRequest) -> None:
        """Into the key's log at the answer (the target counted it no later): a window's next
        request then never reaches the target before the window that counted this one ends."""
        if self.pacer is not None:
            self.pacer.record(request.headers.get("x-api-key"), time.monotonic())

    def _wait_within_budget(self, wait: float, why: str) -> None:
        """A wait the pace needs, counted; one that would pass MAX_TIME ends the run instead
        (not tested), never a request sent after the wall."""
        if wait >= self.remaining():
            raise BudgetExhausted(f"waiting {wait:.0f}s {why} would pass MAX_TIME")
        self.publish(Waited(wait, "pace"))
        self._wait(wait)

    def idle_for(self, seconds: float) -> None:
        """Wait until `seconds` have passed since this session's last request (a fresh window
        for a fixed or a sliding rate limit); within MAX_TIME, or not tested."""
        if not self._last_sent:
            return
        wait = self._last_sent + seconds - time.monotonic()
        if wait > 0:
            self._wait_within_budget(wait, "for a fresh rate-limit window")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # Never follow a redirect: a 3xx comes back to the check as it is (a finding), and the
        # key is never sent to another origin.
        kwargs["allow_redirects"] = False
        # One exchange per connection (wire/adapter.py, RFC 9112 §9.3.1, §9.5, §9.6).
        request.headers["Connection"] = "close"
        kwargs["stream"] = True
        kwargs.pop("timeout", None)
        if kwargs.get("verify") is False:  # no caller turns certificate checking off
            kwargs["verify"] = self.verify
        for throttle_try in range(THROTTLE_RETRIES + 1):
            response = self._send_with_retries(request, **kwargs)
            if response.status_code != 429 or self._raw_429:
                return response
            wait = retry_after(response)
            key_var = self.settings.key_variable(request.headers.get("x-api-key"))
            self.publish(Throttled(self.test(), key_var, wait))
            if throttle_try == THROTTLE_RETRIES:
                raise NotTested(f"target kept throttling: {THROTTLE_RETRIES + 1} 429s in a row")
            if wait >= self.remaining():
                raise NotTested(
                    f"target throttled; waiting {wait:g}s would pass MAX_TIME={self.budget.max_time:g}s"
                )
            self.publish(Waited(wait, "429"))
            self._wait(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_with_retries(
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        attempts = self.settings.transport_retries + 1
        for attempt in range(attempts):
            self._guard(request)
            self._pace(request)
            try:
                response = self._send_once(request, **kwargs)
            except TransportFault as fault:
                self._paced(request)
                reached = not never_reached(fault.__cause__)
                if reached:
                    self.budget.count()
                self.publish(
                    FaultRecorded(self.test(), request.url or "", str(fault), fault.kind, reached)
                )
                # A request that may have reached the target (a time-out, a reset after sending)
                # is never retried: a POST may have created a campaign.
                if reached:
                    raise
                # A refused certificate is refused again: one attempt, one line.
                if fault.kind == "tls-certificate":
                    raise
                if attempt + 1 == attempts:
                    raise TransportFault(
                        f"{fault} after {attempts} attempt(s)", fault.kind
                    ) from fault.__cause__
                time.sleep(min(2.0**attempt * 0.5, 5.0, max(self.remaining(), 0)))
                continue
            self._paced(request)
            self.budget.count()
            # One Exchange per response: the ledger, the checks and the reports share its parse.
            exchange = Exchange.from_response(
                response,
                self.settings.key_variable(request.headers.get("x-api-key")),
                self.test(),
                time.time() - response.elapsed.total_seconds(),
            )
            with self._lock:
                self._exchanges[request] = exchange
            self.publish(ExchangeAnswered(exchange))
            self._progress()
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """One exchange within a total deadline (connect, headers and body together), the body
        read up to the cap, decompression included."""
        timeout = self.settings.request_timeout
        deadline = min(timeout, max(self.remaining(), 0.01))
        fired = threading.Event()
        thread = threading.get_ident()

        def cut() -> None:
            fired.set()
            self._adapter.cut(thread)

        timer = threading.Timer(deadline, cut)
        timer.daemon = True
        timer.start()
        try:
            response = super().send(request, timeout=(deadline, deadline), **kwargs)
            if why := ambiguous_framing(response.raw.headers):
                response.close()
                raise TransportFault(
                    f"ambiguous framing, the response discarded: {why} ({request.url})", "framing"
                )
            response._content = self._read_capped(response)
        except TransportFault:
            raise
        except (*HTTP_ERRORS, OSError) as exc:
            if fired.is_set():
                if deadline < timeout:
                    raise BudgetExhausted(
                        f"time budget MAX_TIME={self.budget.max_time:g}s reached during a request"
                    ) from exc
                raise TransportFault(
                    f"no complete answer within REQUEST_TIMEOUT={timeout:g}s ({request.url})",
                    "deadline",
                ) from exc
            raise TransportFault(*reversed(classify(exc, request.url or ""))) from exc
        finally:
            timer.cancel()
            self._adapter.forget(thread)
        return response

    def _read_capped(self, response: requests.Response) -> bytes:
        cap = self.settings.max_body
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > cap:
                response.close()
                raise TransportFault(
                    f"response body over the MAX_BODY={cap} byte cap (decoded) from {response.url}",
                    "size",
                )
            chunks.append(chunk)
        return b"".join(chunks)
