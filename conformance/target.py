"""Bringing the target up (embedded or given) and the preflight that vets it before any test."""

from __future__ import annotations

from contextlib import ExitStack

from conformance.api import Api
from conformance.embedded import EmbeddedKeys, embedded_server
from conformance.semantic import RunMemory
from conformance.settings import Settings
from conformance.transport import GuardedSession, Ledger, TransportFault

# The embedded server's own limit for the rate-limit check: small, so the check is quick.
EMBEDDED_RATE_LIMIT = 5


class PreflightError(Exception):
    """The target cannot be tested at all; the message is the one line the user sees."""


def start(
    settings: Settings, stack: ExitStack, *, rate_limit: int = 0, keys: EmbeddedKeys | None = None
) -> Settings:
    """Start an embedded server when no BASE_URL is given; returns settings naming the target."""
    if not settings.embedded:
        return settings
    keys = keys or EmbeddedKeys.fresh()
    base_url = stack.enter_context(embedded_server(keys, rate_limit=rate_limit))
    return settings.with_target(
        base_url=base_url,
        api_key=keys.api_key,
        forbidden_api_key=keys.forbidden_api_key,
        other_api_key=keys.other_api_key,
        template_id=keys.template_id,
        rate_limit=rate_limit or None,
        embedded_origin=True,
    )


def same_keys(settings: Settings) -> EmbeddedKeys:
    """The keys of a running embedded target, to start a sibling server that knows them too."""
    return EmbeddedKeys(
        api_key=settings.api_key or "",
        forbidden_api_key=settings.forbidden_api_key or "",
        other_api_key=settings.other_api_key or "",
        template_id=settings.template_id or "",
    )


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
