"""The rate limit: a 429 no later than request RATE_LIMIT + 1, its body and header, per key.

Runs last: it spends the key's quota. Against the embedded target it uses a sibling server
started with a small limit, so the rest of the run is never throttled.
"""

from __future__ import annotations

import pytest

from conformance.api import Api
from conformance.transport import Exchange
from conformance.verdict import expect_status, fail

pytestmark = pytest.mark.rate_limit


@pytest.fixture(scope="module")
def throttled(limited_api: Api) -> Exchange:
    """Requests that create nothing (no `name`), as fast as allowed, until the first 429."""
    limit = limited_api.settings.rate_limit or 0
    last = None
    with limited_api.session.rate_limit_probe():
        for _ in range(limit + 1):
            last = limited_api.post({})
            if last.status == 429:
                return last
    fail("rate.limit", f"no 429 within {limit + 1} requests (RATE_LIMIT={limit})", last)


@pytest.mark.rule("rate.limit")
def test_over_the_limit_is_429(throttled: Exchange) -> None:
    expect_status(throttled, 429, "rate.limit")
    retry_after = throttled.json().get("retryAfter")
    if not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 0:
        fail(
            "rate.limit",
            f"retryAfter {retry_after!r} is not a whole number of seconds >= 0",
            throttled,
        )


@pytest.mark.rule("rate.header")
def test_retry_after_header_agrees(throttled: Exchange) -> None:
    header = {k.lower(): v for k, v in throttled.response_headers.items()}.get("retry-after")
    if header is None:
        return  # optional by the contract
    body = throttled.json() or {}
    if header.strip() != str(body.get("retryAfter")):
        fail(
            "rate.header",
            f"Retry-After {header!r} disagrees with retryAfter {body.get('retryAfter')!r}",
            throttled,
        )


@pytest.mark.rule("rate.per-key")
def test_limit_is_per_key(throttled: Exchange, limited_api: Api) -> None:
    if not limited_api.settings.other_api_key:
        pytest.skip("per-key check needs OTHER_API_KEY (a key of another client)")
    with limited_api.session.rate_limit_probe():
        exchange = limited_api.post({}, key="OTHER_API_KEY")
    if exchange.status == 429:
        fail("rate.per-key", "another key is throttled by this key's burst", exchange)
    expect_status(exchange, 422, "rate.per-key")


@pytest.mark.rule("order")
def test_throttled_key_is_429_before_its_body_is_judged(
    throttled: Exchange, limited_api: Api
) -> None:
    """Order of decisions: 429 comes before 400 and 422."""
    with limited_api.session.rate_limit_probe():
        exchange = limited_api.post(raw=b'{"name": ')
    expect_status(exchange, 429, "order")
