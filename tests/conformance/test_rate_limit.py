"""The rate limit, on both sides, in a fresh window: request N is served, N+1 refused with the
documented body; `Retry-After` agrees; the limit is per key; a throttled key's bad body is 429.

Against a paced target the proof comes from the run's own first window (the pace sends the
main key's first N requests back to back; the run takes the proof at a test boundary:
`conformance/checks/ratelimit.py`); without it (a 429 came early, or N+1 was served) these tests
run last with a quiet window and a burst of their own. Against the embedded target they use a
sibling server with a small limit and a short window, so the run is never throttled.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.checks.ratelimit import quiet_body
from conformance.checks.verdict import expect_status, fail
from conformance.findings import CannotJudge, ConformanceFailure, Finding
from conformance.run.api import Api
from conformance.run.cost import Cost
from conformance.settings import Settings
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.rate_limit
RETRIES = "rate-limit retries"


def _limit(settings: Settings) -> int:
    return settings.rate_limit or settings.sibling_rate_limit


def _proof(settings: Settings) -> bool:
    """The first window gives the proof: a paced target (a sibling is never paced)."""
    return bool(settings.pace_interval) and not settings.sibling_rate_limit


def exact_cost(settings: Settings, left: int) -> Cost:
    """The proof's three requests (N+1, another key, a malformed body), or a burst of N+1; a
    burst of N+1 more (two with the proof) when a window ended during the first."""
    n = _limit(settings)
    if not n:
        return Cost(0)
    if _proof(settings):
        return Cost(3, 0, 2 * (n + 1), RETRIES)
    return Cost(n + 1, 0, n + 1, RETRIES)


def order_cost(settings: Settings, left: int) -> Cost:
    """One malformed body (none when the proof sent it); throttling the key again, when the
    window ended meanwhile, costs N+1 and a second probe."""
    n = _limit(settings)
    return Cost(0 if not n or _proof(settings) else 1, 0, n + 2 if n else 0, RETRIES)


def per_key_cost(settings: Settings, left: int) -> Cost:
    """One request with another key; with the proof, the proof sends it when that key's own
    window has room, else this test does."""
    if not _limit(settings):
        return Cost(0)
    return Cost(0, 0, 1, RETRIES) if _proof(settings) else Cost(1)


def burst_line(exchange: Exchange, count: int) -> str:
    """The burst as a shell loop: `count` requests back to back, each one's status printed."""
    return (
        f"for i in $(seq {count}); do {exchange.curl()} -s -o /dev/null -w '%{{http_code}}\\n'; "
        "done"
    )


@dataclass
class Burst:
    served: int  # requests served before the first 429
    refused: Exchange | None  # the first 429, if any
    last: Exchange


# The last requests of a burst arrive at once: a limit counted without a lock lets them all in.
AT_ONCE = 3


def fresh_burst(api: Api, limit: int) -> Burst:
    """A whole window of silence (so a fixed or sliding window is empty), then N+1 requests that
    create nothing: back to back, the last AT_ONCE of them at once."""
    api.session.idle_for(api.settings.rate_window)
    quiet = quiet_body(api.settings.name_prefix)
    together = min(AT_ONCE, limit + 1)
    last = None
    with api.session.rate_limit_probe():
        for served in range(limit + 1 - together):
            last = api.post(quiet)
            if last.status == 429:
                return Burst(served, last, last)
        jobs = [(api.run.current_test, lambda: api.post(quiet))] * together
        answers = api.run.concurrently(jobs, together)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    exchanges = [a for a in answers if isinstance(a, Exchange)]
    refused = next((e for e in exchanges if e.status == 429), None)
    served = limit + 1 - together + sum(e.status != 429 for e in exchanges)
    return Burst(min(served, limit + 1), refused, refused or exchanges[-1])


@pytest.fixture(scope="module")
def burst(limited_api: Api) -> Burst:
    limit = limited_api.settings.rate_limit or 0
    proof = limited_api.run.rate_proof
    if proof is not None and proof.refused is not None:
        return Burst(proof.served, proof.refused, proof.refused)
    first = fresh_burst(limited_api, limit)
    if first.refused is None:
        # More than N served: a fixed window may have ended during the burst. Not a failure
        # yet: a second burst in a fresh window decides.
        return fresh_burst(limited_api, limit)
    return first


@pytest.mark.rule("rate.limit")
@pytest.mark.cost(declare=exact_cost)
@pytest.mark.concurrent(AT_ONCE, "the last requests of the rate-limit check's own burst")
def test_limit_is_exact(burst: Burst, limited_api: Api) -> None:
    limit = limited_api.settings.rate_limit or 0
    if burst.refused is None:
        raise ConformanceFailure(
            [
                Finding(
                    "rate.limit",
                    (
                        f"{limit + 1} requests of a fresh window were served (the last "
                        f"{min(AT_ONCE, limit + 1)} at once), twice (RATE_LIMIT={limit})",
                    ),
                    burst.last,
                    hint="RATE_LIMIT may be wrong (lower than the target's limit), or the "
                    "target does not limit",
                    reproduce=burst_line(burst.last, limit + 1),
                )
            ]
        )
    if burst.served < limit:
        fail(
            "rate.limit",
            f"request {burst.served + 1} of a fresh window was refused; the limit is {limit}",
            burst.refused,
            hint="RATE_LIMIT may be wrong (higher than the target's limit), or the target "
            "refuses early; a key used just before the run is waited out, never failed",
        )
    # The 429's own fields (retryAfter, Retry-After) are registered checks that apply here.
    expect_status(limited_api, burst.refused, 429, "rate.limit")


def _refused(burst: Burst) -> Exchange:
    if burst.refused is None:
        raise CannotJudge("no 429 was seen (see rate.limit)")
    return burst.refused


@pytest.mark.rule("rate.header")
@pytest.mark.cost(requests=0)
def test_retry_after_header_agrees(burst: Burst, limited_api: Api) -> None:
    refused = _refused(burst)
    if not isinstance(refused.json(), dict):
        raise CannotJudge("the 429 body is not a JSON object (see rate.limit)")
    expect_status(limited_api, refused, 429, "rate.header")


@pytest.mark.rule("rate.per-key")
@pytest.mark.cost(declare=per_key_cost)
def test_limit_is_per_key(burst: Burst, limited_api: Api) -> None:
    _refused(burst)
    limited_api.run.inputs.require("OTHER_API_KEY")
    proof = limited_api.run.rate_proof
    if proof is not None and proof.refused is burst.refused and proof.other_key is not None:
        exchange = proof.other_key  # sent right after the first window's N+1
    else:
        with limited_api.session.rate_limit_probe():
            quiet = quiet_body(limited_api.settings.name_prefix)
            exchange = limited_api.post(quiet, key="OTHER_API_KEY")
    if exchange.status == 429:
        fail(
            "rate.per-key",
            "another key is throttled by this key's burst",
            exchange,
            hint="OTHER_API_KEY may be wrong (a key that shares API_KEY's limit), or the "
            "target counts every key together",
        )
    expect_status(limited_api, exchange, 404, "rate.per-key")


@pytest.mark.rule("order")
@pytest.mark.cost(declare=order_cost)
def test_throttled_key_is_429_before_its_body_is_judged(burst: Burst, limited_api: Api) -> None:
    """Order of decisions: 429 comes before 400 and 422. The probe follows the burst's 429 at
    once; if it is not refused, the window may have ended meanwhile, so the key is throttled
    again right before a second probe, and only that one decides."""
    _refused(burst)
    limit = limited_api.settings.rate_limit or 0
    proof = limited_api.run.rate_proof
    with limited_api.session.rate_limit_probe():
        if proof is not None and proof.refused is burst.refused and proof.order is not None:
            exchange = proof.order  # sent right after the first window's N+1
        else:
            exchange = limited_api.post(raw=b'{"name": ')
        if exchange.status != 429:
            for _ in range(limit + 1):
                if limited_api.post(quiet_body(limited_api.settings.name_prefix)).status == 429:
                    break
            else:
                raise CannotJudge("the key could not be throttled again (see rate.limit)")
            exchange = limited_api.post(raw=b'{"name": ')
    expect_status(limited_api, exchange, 429, "order")
