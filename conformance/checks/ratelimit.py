"""The rate limit as checks on each 429 (its retryAfter, its Retry-After header), and the proof
of the limit's exactness the run reads from its own first window.

Against a paced target the pace sends the main key's first RATE_LIMIT requests back to back
(`wire/pacer.py`): the run's own useful requests are the burst of N. At the first test boundary
where the main key's next request would have to wait, and none of the N was refused, the run
takes the proof (`conformance.run.run.Run`): request N+1 at once (a body that creates nothing),
which must be refused; right after, one request with another key (the limit is per key) and
one malformed body with the throttled key (429 before 400). `tests/conformance/test_rate_limit.py`
judges them; without a proof (a 429 came early: the key was used just before the run; or N+1
was served: a window ended during the burst) the tests fall back to a quiet window and a burst
of their own, which costs a window and never a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.checks.context import CheckContext
from conformance.checks.registry import Problems, Stage, check
from conformance.wire.exchange import Exchange
from conformance.wire.semantics import integer_value


@dataclass(frozen=True)
class WindowProof:
    served: int  # the main key's requests served in its first window, before N+1
    beyond: Exchange  # request N+1
    other_key: Exchange | None  # another key, right after (None: OTHER_API_KEY not usable)
    order: Exchange | None  # a malformed body with the throttled key (None: N+1 was served)

    @property
    def refused(self) -> Exchange | None:
        return self.beyond if self.beyond.status == 429 else None


def quiet_body(prefix: str) -> dict[str, str]:
    """A valid body naming no template of the caller's: a 404 that creates nothing, decided after
    the limit (so a server that judges bodies first still meets the limit here)."""
    return {"name": prefix + "rate", "templateId": "cct-no-such-template"}


def throttled(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.status == 429 and isinstance(exchange.json(), dict)


@check("rate.limit", stage=Stage.RATE, when=throttled)
def retry_after_is_whole_seconds(ctx: CheckContext, exchange: Exchange) -> Problems:
    """rate.limit: "`retryAfter` = whole seconds to wait (an integer by value, >= 0), never more
    than the window (60 s)"."""
    raw = exchange.json().get("retryAfter")
    seconds = integer_value(raw)
    if seconds is None or seconds < 0:
        return [f"retryAfter {raw!r} is not a whole number of seconds >= 0"]
    window = ctx.rate_window
    if seconds > max(window, 60):
        return [f"retryAfter {raw!r} is longer than the window ({window:g} s)"]
    return []


@check("rate.header", stage=Stage.RATE, when=throttled)
def retry_after_header_agrees(ctx: CheckContext, exchange: Exchange) -> Problems:
    """rate.header: "A `Retry-After` header, when sent, is in seconds and must agree with
    `retryAfter` (both read as numbers)"."""
    header = exchange.header("retry-after")
    if header is None:
        return []  # optional by the contract
    body_value = integer_value(exchange.json().get("retryAfter"))
    if body_value is None:
        return []  # no whole number to agree with: rate.limit's finding
    try:
        header_value: float | None = float(header.strip())
    except ValueError:
        header_value = None
    if header_value is None or header_value != body_value:
        raw = exchange.json().get("retryAfter")
        return [f"Retry-After {header!r} disagrees with retryAfter {raw!r}"]
    return []
