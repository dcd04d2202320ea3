"""The rate-limit check's proof from the run's own first window, against a paced target.

The pace sends the main key's first RATE_LIMIT requests back to back (`wire/pacer.py`): the run's
own useful requests are the burst of N. When the next one would have to wait, and none of the N
was refused, the session calls `first_window_proof` once: request N+1 is sent at once (a body
that creates nothing) and must be refused; right after, one request with another key (the
limit is per key) and one malformed body with the throttled key (429 before 400). The tests in
`tests/conformance/test_rate_limit.py` judge these exchanges; when there is no proof (a 429
came early: the key was used just before the run; or N+1 was served: a window ended during the
burst) they fall back to a quiet window and a burst of their own, which costs a window and
never a false alarm.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.wire.api import Api
    from conformance.wire.exchange import Exchange


@dataclass(frozen=True)
class WindowProof:
    served: int  # the main key's requests served in its first window, before N+1
    beyond: Exchange  # request N+1
    other_key: Exchange | None  # another key, right after (None: OTHER_API_KEY not set)
    order: Exchange | None  # a malformed body with the throttled key (None: N+1 was served)

    @property
    def refused(self) -> Exchange | None:
        return self.beyond if self.beyond.status == 429 else None


def quiet_body(api: Api) -> dict[str, str]:
    """A valid body naming no template of the caller's: a 404 that creates nothing, decided after
    the limit (so a server that judges bodies first still meets the limit here)."""
    return {"name": api.settings.name_prefix + "rate", "templateId": "cct-no-such-template"}


def arm(api: Api, test: str) -> None:
    """Take the proof from the first window of a paced, rate-limited target; its requests are
    counted and recorded under `test` (the rate-limit check's), whichever test's request set
    it off."""
    if api.session.pacer is not None:
        api.session.on_window_full = lambda: first_window_proof(api, test)


def first_window_proof(api: Api, test: str) -> None:
    served = api.settings.rate_limit or 0
    with api.session.ledger.filed_under(test), api.session.rate_limit_probe():
        beyond = api.post(quiet_body(api))
        other = order = None
        if beyond.status == 429:
            if _other_key_has_room(api):
                other = api.post(quiet_body(api), key="OTHER_API_KEY")
            order = api.post(raw=b'{"name": ')
    api.rate_proof = WindowProof(served, beyond, other, order)


def _other_key_has_room(api: Api) -> bool:
    """OTHER_API_KEY is given, not rejected, and its own window has room: a key used just
    before (the vetting's request included) may rightly be refused, which proves nothing."""
    key, pacer = api.settings.other_api_key, api.session.pacer
    if not key or "OTHER_API_KEY" in api.rejected or pacer is None:
        return False
    return pacer.wait(key, time.monotonic()) == 0
