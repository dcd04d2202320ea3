"""The target's preflight: one request that creates nothing and vets the target before any test.
It stops the run in one line when what answers is not the API: unreachable, a redirect, a page
that is not JSON, a success where the probe must be refused, a rejected key, a wrong path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.checks.semantic import RunMemory
from conformance.contract.document import target_operation
from conformance.run import inputs
from conformance.run.findings import CampaignBudgetSpent, NotTested, TransportFault
from conformance.run.settings import Settings
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange
from conformance.wire.redact import visible
from conformance.wire.semantics import is_json_media
from conformance.wire.session import GuardedSession, Ledger


class PreflightError(Exception):
    """The target cannot be tested at all; the message is the one line the user sees."""


class PreflightThrottled(PreflightError):
    """The target answers only 429: nothing can be tested now."""


def connect(
    settings: Settings,
    ledger: Ledger,
    memory: RunMemory | None = None,
    progress: Callable[[], None] | None = None,
) -> Api:
    assert settings.base_url is not None
    session = GuardedSession(settings, ledger, progress)
    return Api(session, settings, settings.base_url, memory or RunMemory())


def preflight(api: Api) -> None:
    """A body without `name`: a 422 means we can test."""
    try:
        exchange = api.post({})
    except TransportFault as exc:
        if exc.kind.startswith("tls"):
            raise PreflightError(str(exc)) from None
        raise PreflightError(f"target unreachable ({exc.kind}): {exc}") from None
    except NotTested as exc:
        raise PreflightThrottled(f"target only throttles: {exc}") from None
    # The target's text in a stop line shows its control characters escaped.
    status, ctype = exchange.status, visible(exchange.header("content-type") or "")
    said = f"{target_operation().label} with a body without `name` answered {status}"
    if 300 <= status < 400:
        location = visible(exchange.header("location") or "<no Location>")
        raise PreflightError(
            f"target redirects: {said} to {location}; redirects are never followed: "
            "set BASE_URL to the API's own origin"
        )
    if status in (401, 403):
        raise PreflightError(f"API_KEY rejected: {said}; check API_KEY for {api.base_url}")
    if status in (404, 405):
        raise PreflightError(
            f"wrong path: {said}; BASE_URL must be the API root "
            f"(the suite appends {target_operation().path})"
        )
    if status < 300 and not _looks_like_a_campaign(exchange):
        raise PreflightError(
            f"not the API: {said} as {ctype or 'no content type'}, expected a 422; check BASE_URL"
        )


def _looks_like_a_campaign(exchange: Exchange) -> bool:
    """A 201 with a campaign is the API breaking a rule (a finding for the tests to make), not a
    page that answers anything."""
    body = exchange.json() if is_json_media(exchange.header("content-type")) else None
    return target_operation().created(exchange.status, body) is not None


def optional_checks(settings: Settings, rejected: dict[str, str] | None = None) -> list[str]:
    """Which optional checks are on, and for the others the variable that would turn them on;
    those whose input the target rejected at the vetting are not runnable."""
    rejected = rejected or {}
    inputs = (
        ("403 check", settings.forbidden_api_key, "FORBIDDEN_API_KEY"),
        ("client/tenant/per-key checks", settings.other_api_key, "OTHER_API_KEY"),
        ("template checks", settings.template_id, "TEMPLATE_ID"),
        ("rate-limit check", settings.rate_limit or settings.sibling_rate_limit, "RATE_LIMIT"),
    )
    return [
        f"{name} not runnable ({var} rejected by the target)"
        if var in rejected
        else f"{name} {'on' if value else f'off ({var} not set)'}"
        for name, value, var in inputs
    ]


TemplateProbe = tuple[dict[str, Any], Exchange]


def vet_optional(api: Api) -> TemplateProbe | None:
    """One cheap request per optional input, so a bad one reads as a bad input, not as a server
    failure. The template probe is a campaign the template check then judges (no extra cost).
    A target that stops answering here is not a bad input: the tests report its faults."""
    try:
        return _vet(api)
    except (TransportFault, NotTested):
        return None


def _vet(api: Api) -> TemplateProbe | None:
    """A rejected input is not a stop: `api.rejected` names it, and the checks that need it are
    reported as not runnable (conformance.run.inputs)."""
    settings = api.settings
    if settings.other_api_key and settings.other_api_key == settings.api_key:
        raise PreflightError("OTHER_API_KEY equals API_KEY: it must be a key of another client")
    if settings.forbidden_api_key:
        status = api.post({}, key="FORBIDDEN_API_KEY").status
        if status == 401:
            api.rejected["FORBIDDEN_API_KEY"] = inputs.forbidden_401()
    if settings.other_api_key:
        status = api.post({}, key="OTHER_API_KEY").status
        if status in (401, 403):
            api.rejected["OTHER_API_KEY"] = inputs.other_rejected(status)
    if settings.template_id:
        body = {"name": settings.name_prefix + "template", "templateId": settings.template_id}
        try:
            exchange = api.post(body, creates=True)
        except CampaignBudgetSpent:  # MAX_CAMPAIGNS=0: the template checks cannot create either
            return None
        if exchange.status == 404:
            api.rejected["TEMPLATE_ID"] = inputs.template_404()
        else:
            return body, exchange
    return None
