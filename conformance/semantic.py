"""Semantic checks: what the 201 response must say about the request, beyond any schema.

Each check is a small function whose docstring quotes its rule; it returns the problems it
found (empty when the rule holds). `SEMANTIC_CHECKS` is applied to every 201 of the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.document import request_schema

UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
CLOCK_SKEW = timedelta(minutes=5)
HANDLER_FIELDS = tuple(
    f"{side}{part}"
    for side in ("primary", "afterHours")
    for part in ("HandlerKind", "RoutingConfigId", "AssistantId", "TerminalType", "TerminalNumber")
)
ECHOED_FIELDS = ("name", "description", "templateId", "maxConcurrentCalls", *HANDLER_FIELDS)


@dataclass
class RunMemory:
    """What earlier 201s of this run said, for the rules that span several calls."""

    seen_ids: set[str] = field(default_factory=set)
    client_ids: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    sent: dict[str, Any]
    campaign: dict[str, Any]
    key_label: str
    sent_at: datetime


Problems = list[str]


def _same(sent: Any, got: Any) -> bool:
    # 1.0 and 1 are the same JSON integer; true is not 1.
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return sent == got
    return type(sent) is type(got) and sent == got


def status_is_draft(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.draft: `status` is `draft`."""
    status = obs.campaign.get("status")
    return [] if status == "draft" else [f"status is {status!r}, expected 'draft'"]


def id_is_fresh_uuid(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.id: `id` is a UUID, new on every call."""
    cid = obs.campaign.get("id")
    if not isinstance(cid, str) or not UUID_RE.match(cid):
        return [f"id {cid!r} is not a UUID"]
    if cid in memory.seen_ids:
        return [f"id {cid} was already returned by an earlier call of this run"]
    memory.seen_ids.add(cid)
    return []


def echoes_request_fields(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.echo: `name`, `description`, `templateId`, `maxConcurrentCalls` and the ten handler
    fields equal what was sent (`null` when omitted or sent as null). Exact, no trimming."""
    problems = []
    for name in ECHOED_FIELDS:
        sent = obs.sent.get(name)
        got = obs.campaign.get(name)
        if not _same(sent, got):
            problems.append(f"{name}: sent {sent!r}, response has {got!r}")
    return problems


def echoes_kind(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.echo: `kind` equals what was sent; `kind` is `voice_ai` when omitted."""
    default = request_schema()["properties"]["kind"].get("default", "voice_ai")
    expected = obs.sent.get("kind", default)
    got = obs.campaign.get("kind")
    if got == expected:
        return []
    how = "sent" if "kind" in obs.sent else "omitted (default)"
    return [f"kind {how} {expected!r}, response has {got!r}"]


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


def template_name_matches(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.template-name: `templateName` is a non-empty string when `templateId` was sent,
    `null` otherwise."""
    name = obs.campaign.get("templateName")
    if obs.sent.get("templateId") is not None:
        ok = isinstance(name, str) and name != ""
        return [] if ok else [f"templateId was sent but templateName is {name!r}"]
    return [] if name is None else [f"no templateId was sent but templateName is {name!r}"]


def _when(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def timestamps_are_sane(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.timestamps: `createdAt <= updatedAt`; both within 5 minutes of the client's clock."""
    created, updated = _when(obs.campaign.get("createdAt")), _when(obs.campaign.get("updatedAt"))
    if created is None or updated is None:
        return ["createdAt / updatedAt are not date-times"]
    problems = []
    if created > updated:
        problems.append(f"createdAt {created.isoformat()} is after updatedAt {updated.isoformat()}")
    for label, stamp in (("createdAt", created), ("updatedAt", updated)):
        if abs(stamp - obs.sent_at) > CLOCK_SKEW:
            problems.append(
                f"{label} {stamp.isoformat()} is not within 5 minutes of {obs.sent_at.isoformat()}"
            )
    return problems


def client_is_stable(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.client: `client.id` is the same for every campaign created with the same key."""
    client = obs.campaign.get("client")
    cid = client.get("id") if isinstance(client, dict) else None
    ids = memory.client_ids.setdefault(obs.key_label, set())
    ids.add(str(cid))
    if len(ids) > 1:
        return [f"campaigns created with {obs.key_label} carry different client ids: {sorted(ids)}"]
    return []


def _nonzero(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nonzero(v, f"{path}.{k}")]
    return [] if value == 0 and not isinstance(value, bool) else [f"{path} = {value!r}"]


def campaign_starts_empty(obs: Observation, memory: RunMemory) -> Problems:
    """semantic.empty: a new campaign has `customerStats` all zero, `tags == []`."""
    problems = _nonzero(obs.campaign.get("customerStats"), "customerStats")
    if obs.campaign.get("tags") != []:
        problems.append(f"tags = {obs.campaign.get('tags')!r}, expected []")
    return problems


Check = Callable[[Observation, RunMemory], Problems]
SEMANTIC_CHECKS: tuple[Check, ...] = (
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


def rule_of(check: Check) -> str:
    return (check.__doc__ or "").split(":", 1)[0]


def run_semantic_checks(obs: Observation, memory: RunMemory) -> list[tuple[str, str]]:
    """(rule id, problem) for every broken rule; empty when the campaign says what it must."""
    return [
        (rule_of(check), problem) for check in SEMANTIC_CHECKS for problem in check(obs, memory)
    ]


def now() -> datetime:
    return datetime.now(UTC)
