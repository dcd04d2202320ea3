"""The target's preflight: one request that vets it before any test."""

from __future__ import annotations

from conformance.api import Api
from conformance.semantic import RunMemory
from conformance.settings import Settings
from conformance.transport import GuardedSession, Ledger, TransportFault


class PreflightError(Exception):
    """The target cannot be tested at all; the message is the one line the user sees."""


def connect(settings: Settings, ledger: Ledger, memory: RunMemory | None = None) -> Api:
    assert settings.base_url is not None
    return Api(GuardedSession(settings, ledger), settings, settings.base_url, memory or RunMemory())


def preflight(api: Api) -> None:
    """One request that creates nothing (a body without `name`): a 422 means we can test."""
    try:
        exchange = api.post({})
    except TransportFault as exc:
        raise PreflightError(f"target unreachable: {api.base_url} ({exc})") from None
    if exchange.status in (401, 403):
        raise PreflightError(
            f"API_KEY rejected: POST {api.url} answered {exchange.status}; check API_KEY for {api.base_url}"
        )
    if exchange.status in (404, 405):
        raise PreflightError(
            f"wrong path: POST {api.url} answered {exchange.status}; BASE_URL must be the API root "
            "(the suite appends /v2/campaigns)"
        )
