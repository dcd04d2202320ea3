"""Semantic checks: what a 201 must say about the request, beyond any schema.

Each check is a small function registered with its rule (`@check`), whose docstring quotes the
rule; it reads the campaign of the exchange (`created`) and what was sent (`ctx.sent`), and
returns the problems it found (empty when the rule holds). The registry applies every one of
them to every campaign the target created.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from conformance.checks.context import CheckContext, created
from conformance.checks.registry import Check, CheckFunction, Problems, Stage, check
from conformance.contract.document import request_schema, resolved
from conformance.contract.rules import fact
from conformance.wire.exchange import Exchange
from conformance.wire.semantics import integer_value, parse_datetime, same_json

UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
CLOCK_SKEW = timedelta(minutes=5)
# The echoed fields are a contract fact (openapi/rules.yaml), read by suite, server and selftests.
ECHOED_FIELDS: tuple[str, ...] = tuple(fact("echoed"))
HANDLER_FIELDS = tuple(f for f in ECHOED_FIELDS if f.startswith(("primary", "afterHours")))


def a_campaign(ctx: CheckContext, exchange: Exchange) -> bool:
    """The exchange created a campaign (a 201 with its wrapper), for a request whose body the
    checks can read."""
    return created(exchange) is not None and isinstance(ctx.sent.body, dict)


def semantic(rule: str, broken_by: dict[str, Any]) -> Callable[[CheckFunction], Check]:
    """Register a semantic check: it applies to every campaign the target created;
    `broken_by` is a change to a conforming campaign that breaks its rule (its unit test)."""
    return check(rule, stage=Stage.SEMANTIC, when=a_campaign, broken_by=broken_by)


def _campaign(exchange: Exchange) -> dict[str, Any]:
    made = created(exchange)
    assert made is not None  # `a_campaign` holds before any semantic check runs
    return made


@semantic("semantic.draft", broken_by={"status": "active"})
def status_is_draft(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.draft: `status` is `draft`."""
    campaign = _campaign(exchange)
    status = campaign.get("status")
    return [] if status == "draft" else [f"status is {status!r}, expected 'draft'"]


@semantic("semantic.id", broken_by={"id": "not-a-uuid"})
def id_is_fresh_uuid(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.id: `id` is a UUID, new on every call."""
    campaign = _campaign(exchange)
    cid = campaign.get("id")
    if not isinstance(cid, str) or not UUID_RE.match(cid):
        return [f"id {cid!r} is not a UUID"]
    span = (exchange.sent_at, exchange.sent_at + exchange.elapsed)
    if (earlier := ctx.memory.seen_ids.get(cid)) is not None:
        if earlier[0] < span[1] and span[0] < earlier[1]:  # the two were on the wire together
            return [f"one id {cid} returned for 2 concurrent creations"]
        return [f"id {cid} was already returned by an earlier call of this run"]
    ctx.memory.seen_ids[cid] = span
    return []


@semantic("semantic.echo", broken_by={"name": "cct-unit-x "})
def echoes_request_fields(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.echo: the echoed fields (`facts.echoed` in rules.yaml: `name`, `description`,
    `templateId`, `maxConcurrentCalls`, the handler fields...) equal what was sent (`null` when
    omitted or sent as null). Exact, no trimming."""
    campaign = _campaign(exchange)
    problems = []
    for name in ECHOED_FIELDS:
        sent = ctx.sent.fields.get(name)
        got = campaign.get(name)
        if not same_json(sent, got):
            problems.append(f"{name}: sent {sent!r}, response has {got!r}")
    return problems


@semantic("semantic.echo", broken_by={"kind": "agent_first"})
def echoes_kind(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.echo: `kind` equals what was sent; `kind` is `voice_ai` when omitted."""
    campaign = _campaign(exchange)
    default = request_schema()["properties"]["kind"].get("default", "voice_ai")
    expected = ctx.sent.fields.get("kind", default)
    got = campaign.get("kind")
    if got == expected:
        return []
    how = "sent" if "kind" in ctx.sent.fields else "omitted (default)"
    return [f"kind {how} {expected!r}, response has {got!r}"]


@semantic("semantic.direction", broken_by={"direction": None})
def echoes_direction(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.direction: `direction` equals what was sent; when omitted the server chooses one
    of the two values."""
    campaign = _campaign(exchange)
    got = campaign.get("direction")
    if "direction" in ctx.sent.fields:
        sent = ctx.sent.fields["direction"]
        return [] if got == sent else [f"direction: sent {sent!r}, response has {got!r}"]
    allowed = request_schema()["properties"]["direction"].get("enum", [])
    return (
        [] if got in allowed else [f"direction omitted; response has {got!r}, not one of {allowed}"]
    )


@semantic("semantic.template-name", broken_by={"templateName": "Recall"})
def template_name_matches(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.template-name: `templateName` is a non-empty string when `templateId` was sent,
    `null` otherwise."""
    campaign = _campaign(exchange)
    name = campaign.get("templateName")
    if ctx.sent.fields.get("templateId") is not None:
        ok = isinstance(name, str) and name != ""
        return [] if ok else [f"templateId was sent but templateName is {name!r}"]
    return [] if name is None else [f"no templateId was sent but templateName is {name!r}"]


@semantic("semantic.timestamps", broken_by={"createdAt": "2000-01-01T00:00:00Z"})
def timestamps_are_sane(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.timestamps: `createdAt <= updatedAt`; both within 5 minutes of the client's clock."""
    campaign = _campaign(exchange)
    raw = campaign.get("createdAt"), campaign.get("updatedAt")
    made, updated = parse_datetime(raw[0]), parse_datetime(raw[1])
    if made is None or updated is None:
        return [f"createdAt {raw[0]!r} / updatedAt {raw[1]!r}: not both RFC 3339 date-times"]
    problems = []
    if made > updated:
        problems.append(f"createdAt {made.isoformat()} is after updatedAt {updated.isoformat()}")
    for label, stamp in (("createdAt", made), ("updatedAt", updated)):
        if abs(stamp - ctx.sent.at) > CLOCK_SKEW:
            problems.append(
                f"{label} {stamp.isoformat()} is not within 5 minutes of {ctx.sent.at.isoformat()}"
            )
    return problems


@semantic("semantic.client", broken_by={"client": {"id": "other-client"}})
def client_is_stable(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.client: `client.id` is the same for every campaign created with the same key."""
    campaign = _campaign(exchange)
    client = campaign.get("client")
    cid = client.get("id") if isinstance(client, dict) else None
    key = ctx.sent.key or "no key"
    ids = ctx.memory.client_ids.setdefault(key, set())
    ids.add(str(cid))
    if len(ids) > 1:
        return [f"campaigns created with {key} carry different client ids: {sorted(ids)}"]
    return []


def _nonzero(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """The counts the document declares, zero by value; properties it does not declare are
    allowed (the document says so) and are no counts of ours to judge."""
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return [
            p
            for k, sub in props.items()
            if k in value
            for p in _nonzero(value[k], sub, f"{path}.{k}")
        ]
    return [] if integer_value(value) == 0 else [f"{path} = {value!r}"]


@semantic(
    "semantic.empty", broken_by={"customerStats": {"total": 0, "statusCounts": {"failed": 1}}}
)
def campaign_starts_empty(ctx: CheckContext, exchange: Exchange) -> Problems:
    """semantic.empty: a new campaign has `customerStats` all zero, `tags == []`."""
    campaign = _campaign(exchange)
    stats_schema = resolved("Campaign")["properties"]["customerStats"]
    problems = _nonzero(campaign.get("customerStats"), stats_schema, "customerStats")
    if campaign.get("tags") != []:
        problems.append(f"tags = {campaign.get('tags')!r}, expected []")
    return problems
