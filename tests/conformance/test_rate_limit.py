"""The rate limit, on both sides, in a fresh window: request N is served, N+1 refused with the
documented body; `Retry-After` agrees; the limit is per key; a throttled key's bad body is 429.

Against a paced target the proof comes from the run's own first window (the pace sends the
main key's first N requests back to back; `conformance/checks/ratewindow.py`); without it (a
429 came early, or N+1 was served) these tests run last with a quiet window and a burst of
their own. Against the embedded target they use a sibling server with a small limit and a
short window, so the run is never throttled.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.checks.ratewindow import quiet_body
from conformance.checks.verdict import expect_status, expect_utf8, fail
from conformance.run.findings import CannotJudge
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange
from conformance.wire.semantics import integer_value

pytestmark = pytest.mark.rate_limit


@dataclass
class Burst:
    served: int  # requests served before the first 429
    refused: Exchange | None  # the first 429, if any
    last: Exchange


def fresh_burst(api: Api, limit: int) -> Burst:
    """A whole window of silence (so a fixed or sliding window is empty), then N+1 requests that
    create nothing, back to back."""
    api.session.idle_for(api.settings.rate_window)
    last = None
    with api.session.rate_limit_probe():
        for served in range(limit + 1):
            last = api.post(quiet_body(api))
            if last.status == 429:
                return Burst(served, last, last)
    assert last is not None
    return Burst(limit + 1, None, last)


@pytest.fixture(scope="module")
def burst(limited_api: Api) -> Burst:
    limit = limited_api.settings.rate_limit or 0
    proof = limited_api.rate_proof
    if proof is not None and proof.refused is not None:
        return Burst(proof.served, proof.refused, proof.refused)
    first = fresh_burst(limited_api, limit)
    if first.refused is None:
        # More than N served: a fixed window may have ended during the burst. Not a failure
        # yet: a second burst in a fresh window decides.
        return fresh_burst(limited_api, limit)
    return first


@pytest.mark.rule("rate.limit")
def test_limit_is_exact(burst: Burst, limited_api: Api) -> None:
    limit = limited_api.settings.rate_limit or 0
    if burst.refused is None:
        fail(
            "rate.limit",
            f"{limit + 1} requests in a row were served in a fresh window, twice (RATE_LIMIT={limit})",
            burst.last,
        )
    if burst.served < limit:
        fail(
            "rate.limit",
            f"request {burst.served + 1} of a fresh window was refused; the limit is {limit}",
            burst.refused,
        )
    refused = burst.refused
    expect_utf8(refused)
    # The rule's own body requirement first (the document's schema says it too, less precisely).
    body = refused.json()
    raw = body.get("retryAfter") if isinstance(body, dict) else None
    seconds = integer_value(raw)
    window = limited_api.settings.rate_window
    if seconds is None or seconds < 0:
        fail("rate.limit", f"retryAfter {raw!r} is not a whole number of seconds >= 0", refused)
    if seconds > max(window, 60):
        fail("rate.limit", f"retryAfter {raw!r} is longer than the window ({window:g} s)", refused)
    expect_status(refused, 429, "rate.limit")


def _refused(burst: Burst) -> Exchange:
    if burst.refused is None:
        raise CannotJudge("no 429 was seen (see rate.limit)")
    return burst.refused


@pytest.mark.rule("rate.header")
@pytest.mark.cost(requests=0)
def test_retry_after_header_agrees(burst: Burst) -> None:
    refused = _refused(burst)
    header = refused.header("retry-after")
    if header is None:
        return  # optional by the contract
    if not isinstance(refused.json(), dict):
        raise CannotJudge("the 429 body is not a JSON object (see rate.limit)")
    body = refused.json()
    body_value = integer_value(body.get("retryAfter"))
    try:
        header_value = float(header.strip())
    except ValueError:
        header_value = None
    if header_value is None or body_value is None or header_value != body_value:
        fail(
            "rate.header",
            f"Retry-After {header!r} disagrees with retryAfter {body.get('retryAfter')!r}",
            refused,
        )


@pytest.mark.rule("rate.per-key")
def test_limit_is_per_key(burst: Burst, limited_api: Api) -> None:
    _refused(burst)
    if not limited_api.settings.other_api_key:
        pytest.skip("per-key check needs OTHER_API_KEY (a key of another client)")
    limited_api.require("OTHER_API_KEY")
    proof = limited_api.rate_proof
    if proof is not None and proof.refused is burst.refused and proof.other_key is not None:
        exchange = proof.other_key  # sent right after the first window's N+1
    else:
        with limited_api.session.rate_limit_probe():
            exchange = limited_api.post(quiet_body(limited_api), key="OTHER_API_KEY")
    if exchange.status == 429:
        fail("rate.per-key", "another key is throttled by this key's burst", exchange)
    expect_status(exchange, 404, "rate.per-key")


@pytest.mark.rule("order")
def test_throttled_key_is_429_before_its_body_is_judged(burst: Burst, limited_api: Api) -> None:
    """Order of decisions: 429 comes before 400 and 422. The probe follows the burst's 429 at
    once; if it is not refused, the window may have ended meanwhile, so the key is throttled
    again right before a second probe, and only that one decides."""
    _refused(burst)
    limit = limited_api.settings.rate_limit or 0
    proof = limited_api.rate_proof
    with limited_api.session.rate_limit_probe():
        if proof is not None and proof.refused is burst.refused and proof.order is not None:
            exchange = proof.order  # sent right after the first window's N+1
        else:
            exchange = limited_api.post(raw=b'{"name": ')
        if exchange.status != 429:
            for _ in range(limit + 1):
                if limited_api.post(quiet_body(limited_api)).status == 429:
                    break
            else:
                raise CannotJudge("the key could not be throttled again (see rate.limit)")
            exchange = limited_api.post(raw=b'{"name": ')
    expect_status(exchange, 429, "order")
