"""Semantic checks: what the 201 response must say about the request, beyond any schema.

Each check is a small function registered with its rule (`@check`), whose docstring quotes the
rule; it returns the problems it found (empty when the rule holds). `SEMANTIC_CHECKS` is applied
to every 201 of the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.checks.registry import Check, check
from conformance.contract.document import request_schema, resolve, schema_at
from conformance.contract.rules import fact
from conformance.wire.semantics import integer_value, parse_datetime, same_json

UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
CLOCK_SKEW = timedelta(minutes=5)
# The echoed fields are a contract fact (openapi/rules.yaml), read by suite, server and selftests.
ECHOED_FIELDS: tuple[str, ...] = tuple(fact("echoed"))
HANDLER_FIELDS = tuple(f for f in ECHOED_FIELDS if f.startswith(("primary", "afterHours")))


@dataclass
class RunMemory:
    """What earlier 201s of this run said, for the rules that span several calls."""

    seen_ids: set[str] = field(default_factory=set)
    client_ids: dict[str, set[str]] = field(default_factory=dict)
    # A campaign (and its exchange) created with each key variable, for the client-identity
    # check: the context rows' campaigns are judged again, not sent again.
    created_by_key: dict[str, tuple[dict[str, Any], Any]] = field(default_factory=dict)
    # The last property case that failed, and how: Hypothesis sends a failing case once more
    # to report it, and that replay must not turn a finding into "not tested" when the campaign
    # budget ran out in between.
    failed_case: tuple[tuple[bool, Any], Exception] | None = None  # ((creates, body), failure)
    # A negative property case was answered 2xx: later ones may create too, so they draw on
    # the campaign budget.
    invalid_accepted: bool = False


@dataclass(frozen=True)
class Observation:
    sent: dict[str, Any]
    campaign: dict[str, Any]
    key_label: str
    sent_at: datetime


Problems = list[str]


@check("semantic.draft")
def status_is_draft(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.draft: `status` is `draft`."""
    status = obs.campaign.get("status")
    return [] if status == "draft" else [f"status is {status!r}, expected 'draft'"]


@check("semantic.id")
def id_is_fresh_uuid(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.id: `id` is a UUID, new on every call."""
    cid = obs.campaign.get("id")
    if not isinstance(cid, str) or not UUID_RE.match(cid):
        return [f"id {cid!r} is not a UUID"]
    if cid in memory.seen_ids:
        return [f"id {cid} was already returned by an earlier call of this run"]
    memory.seen_ids.add(cid)
    return []


@check("semantic.echo")
def echoes_request_fields(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.echo: the echoed fields (`facts.echoed` in rules.yaml: `name`, `description`,
    `templateId`, `maxConcurrentCalls`, the handler fields...) equal what was sent (`null` when
    omitted or sent as null). Exact, no trimming."""
    problems = []
    for name in ECHOED_FIELDS:
        sent = obs.sent.get(name)
        got = obs.campaign.get(name)
        if not same_json(sent, got):
            problems.append(f"{name}: sent {sent!r}, response has {got!r}")
    return problems


@check("semantic.echo")
def echoes_kind(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.echo: `kind` equals what was sent; `kind` is `voice_ai` when omitted."""
    default = request_schema()["properties"]["kind"].get("default", "voice_ai")
    expected = obs.sent.get("kind", default)
    got = obs.campaign.get("kind")
    if got == expected:
        return []
    how = "sent" if "kind" in obs.sent else "omitted (default)"
    return [f"kind {how} {expected!r}, response has {got!r}"]


@check("semantic.direction")
def echoes_direction(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.direction: `direction` equals what was sent; when omitted the server chooses one
    of the two values."""
    got = obs.campaign.get("direction")
    if "direction" in obs.sent:
        sent = obs.sent["direction"]
        return [] if got == sent else [f"direction: sent {sent!r}, response has {got!r}"]
    allowed = request_schema()["properties"]["direction"].get("enum", [])
    return (
        [] if got in allowed else [f"direction omitted; response has {got!r}, not one of {allowed}"]
    )


@check("semantic.template-name")
def template_name_matches(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.template-name: `templateName` is a non-empty string when `templateId` was sent,
    `null` otherwise."""
    name = obs.campaign.get("templateName")
    if obs.sent.get("templateId") is not None:
        ok = isinstance(name, str) and name != ""
        return [] if ok else [f"templateId was sent but templateName is {name!r}"]
    return [] if name is None else [f"no templateId was sent but templateName is {name!r}"]


@check("semantic.timestamps")
def timestamps_are_sane(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.timestamps: `createdAt <= updatedAt`; both within 5 minutes of the client's clock."""
    raw = obs.campaign.get("createdAt"), obs.campaign.get("updatedAt")
    created, updated = parse_datetime(raw[0]), parse_datetime(raw[1])
    if created is None or updated is None:
        return [f"createdAt {raw[0]!r} / updatedAt {raw[1]!r}: not both RFC 3339 date-times"]
    problems = []
    if created > updated:
        problems.append(f"createdAt {created.isoformat()} is after updatedAt {updated.isoformat()}")
    for label, stamp in (("createdAt", created), ("updatedAt", updated)):
        if abs(stamp - obs.sent_at) > CLOCK_SKEW:
            problems.append(
                f"{label} {stamp.isoformat()} is not within 5 minutes of {obs.sent_at.isoformat()}"
            )
    return problems


@check("semantic.client")
def client_is_stable(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.client: `client.id` is the same for every campaign created with the same key."""
    client = obs.campaign.get("client")
    cid = client.get("id") if isinstance(client, dict) else None
    ids = memory.client_ids.setdefault(obs.key_label, set())
    ids.add(str(cid))
    if len(ids) > 1:
        return [f"campaigns created with {obs.key_label} carry different client ids: {sorted(ids)}"]
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


@check("semantic.empty")
def campaign_starts_empty(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.empty: a new campaign has `customerStats` all zero, `tags == []`."""
    stats_schema = resolve(schema_at("Campaign"))["properties"]["customerStats"]
    problems = _nonzero(obs.campaign.get("customerStats"), stats_schema, "customerStats")
    if obs.campaign.get("tags") != []:
        problems.append(f"tags = {obs.campaign.get('tags')!r}, expected []")
    return problems


SemanticCheck = Check[[Observation, RunMemory], Problems]
SEMANTIC_CHECKS: tuple[SemanticCheck, ...] = (
    status_is_draft,
    id_is_fresh_uuid,
    echoes_request_fields,
    echoes_kind,
    echoes_direction,
    template_name_matches,
    timestamps_are_sane,
    client_is_stable,
    campaign_starts_empty,
)


SEMANTIC_RULES = tuple(dict.fromkeys(c.rule for c in SEMANTIC_CHECKS))


def run_semantic_checks(obs: Observation, memory: RunMemory) -> list[tuple[str, str]]:
    """(rule id, problem) for every broken rule; empty when the campaign says what it must."""
    return [(check.rule, problem) for check in SEMANTIC_CHECKS for problem in check(obs, memory)]


def now() -> datetime:
    return datetime.now(UTC)
