"""The target's preflight: one request that creates nothing and vets the target before any test.
It stops the run in one line when what answers is not the API: unreachable, a redirect, a page
that is not JSON, a success where the probe must be refused, a rejected key, a wrong path."""

from __future__ import annotations

from typing import Any

from conformance.contract.document import target_operation
from conformance.findings import CampaignBudgetSpent, NotTested, TransportFault
from conformance.run import inputs
from conformance.run.api import Api
from conformance.wire.exchange import Exchange
from conformance.wire.redact import visible
from conformance.wire.semantics import is_json_media
from conformance.wire.session import BudgetExhausted


class PreflightError(Exception):
    """The target cannot be tested at all; the message is the one line the user sees."""


class PreflightThrottled(PreflightError):
    """Nothing can be tested now: the target answers only 429, or the budget allows nothing."""


def preflight(api: Api) -> None:
    """A body without `name`: a 422 means we can test."""
    try:
        exchange = api.post({})
    except TransportFault as exc:
        if exc.kind.startswith("tls"):
            raise PreflightError(str(exc)) from None
        raise PreflightError(f"target unreachable ({exc.kind}): {exc}") from None
    except BudgetExhausted as exc:
        raise PreflightThrottled(f"nothing tested: {exc}") from None
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
        raise PreflightError(f"API_KEY rejected: {said}; check API_KEY for {api.settings.base_url}")
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
    """A rejected input is not a stop: the run's inputs name it, and the checks that need it are
    reported as not runnable (conformance.run.inputs)."""
    settings, rejected = api.settings, api.run.inputs.rejected
    if settings.other_api_key and settings.other_api_key == settings.api_key:
        raise PreflightError("OTHER_API_KEY equals API_KEY: it must be a key of another client")
    if settings.forbidden_api_key:
        status = api.post({}, key="FORBIDDEN_API_KEY").status
        if status == 401:
            rejected["FORBIDDEN_API_KEY"] = inputs.forbidden_401()
    if settings.other_api_key:
        status = api.post({}, key="OTHER_API_KEY").status
        if status in (401, 403):
            rejected["OTHER_API_KEY"] = inputs.other_rejected(status)
    if settings.template_id:
        body = {"name": settings.name_prefix + "template", "templateId": settings.template_id}
        try:
            exchange = api.post(body, creates=True)  # the vetting's own: the run declares it
        except CampaignBudgetSpent:  # MAX_CAMPAIGNS=0: the template checks cannot create either
            return None
        if exchange.status == 404:
            rejected["TEMPLATE_ID"] = inputs.template_404()
        else:
            return body, exchange
    return None
