"""The contexts the contract tells apart for what a 201 says, and their covering array.

CONTRACT.md "What the response must say about the request": `templateName` depends on
`templateId`; `direction` is echoed when sent and chosen by the server when omitted; `kind` is
echoed when sent and `voice_ai` when omitted; the handler fields are echoed (`null` when omitted
or sent as null), beside a template too; `client.id` depends on the key. Every semantic check
runs in each context, covered pairwise (the nightly over more levels), never the full product.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from conformance.checks.semantic import HANDLER_FIELDS
from conformance.contract.covering import Row, covering_array

OMITTED = None
MAIN, OTHER = "API_KEY", "OTHER_API_KEY"

GATE_FACTORS: Mapping[str, tuple[Any, ...]] = MappingProxyType(
    {
        "template": (False, True),
        "direction": (OMITTED, "inbound"),
        "kind": (OMITTED, "agent_first"),
        "handlers": (OMITTED, "sent"),
        "key": (MAIN, OTHER),
    }
)
NIGHTLY_FACTORS: Mapping[str, tuple[Any, ...]] = MappingProxyType(
    {
        "template": (False, True),
        "direction": (OMITTED, "inbound", "outbound"),
        "kind": (OMITTED, "voice_ai", "agent_first"),
        "handlers": (OMITTED, "null", "sent"),
        "key": (MAIN, OTHER),
    }
)
# The preflight's template probe (name and templateId only, API_KEY): the first row, so its
# campaign is judged here instead of being created twice.
PREFLIGHT_ROW: Mapping[str, Any] = MappingProxyType(
    {"template": True, "direction": OMITTED, "kind": OMITTED, "handlers": OMITTED, "key": MAIN}
)
# Non-default handler values, primary and after-hours apart, so a swap or a drop shows.
HANDLER_VALUES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "HandlerKind": ("ai", "terminal"),
        "RoutingConfigId": (
            "2f1c6a9e-7d3b-4c8e-9a1f-0b2c3d4e5f60",
            "8a7b6c5d-4e3f-8a1b-bc2d-3e4f5a6b7c8d",
        ),
        "AssistantId": ("assistant-primary", "assistant-after-hours"),
        "TerminalType": ("forward", "voicemail"),
        "TerminalNumber": ("+15550100001", "+15550100002"),
    }
)


def tenancy_allows(row: Row) -> bool:
    """A template belongs to API_KEY's client: with another client's key it is a 404
    (auth.tenant), not a context of the echo."""
    return not (row.get("template") and row.get("key") == OTHER)


@dataclass(frozen=True)
class Context:
    index: int
    row: Row

    @property
    def id(self) -> str:
        parts = [
            "template" if self.row["template"] else "no-template",
            f"direction-{self.row['direction'] or 'omitted'}",
            f"kind-{self.row['kind'] or 'omitted'}",
            f"handlers-{self.row['handlers'] or 'omitted'}",
            "other-key" if self.row["key"] == OTHER else "main-key",
        ]
        return f"ctx{self.index}-" + "-".join(parts)

    @property
    def is_preflight_probe(self) -> bool:
        return self.row == PREFLIGHT_ROW


def contexts(depth: str) -> list[Context]:
    """Pairwise at both depths: the nightly's factors have more levels, but each row creates a
    campaign, and the nightly's campaign budget goes to the property tests (a three-wise array
    over the nightly's levels is 28 rows, more than half of MAX_CAMPAIGNS=50)."""
    factors = NIGHTLY_FACTORS if depth == "nightly" else GATE_FACTORS
    strength = 2
    rows = covering_array(factors, strength, seeds=[dict(PREFLIGHT_ROW)], allowed=tenancy_allows)
    return [Context(i, row) for i, row in enumerate(rows)]


def handler_values() -> dict[str, str]:
    out = {}
    for name in HANDLER_FIELDS:
        side = 0 if name.startswith("primary") else 1
        out[name] = HANDLER_VALUES[name.removeprefix("primary").removeprefix("afterHours")][side]
    return out


def context_body(ctx: Context, prefix: str, template_id: str | None) -> dict[str, Any]:
    """The request of one context. The preflight's probe sends only what it must; every other
    row also sends a description with spaces to keep and a concurrency cap, so each is echoed
    in every context."""
    row = ctx.row
    if ctx.is_preflight_probe and template_id:
        return {"name": prefix + "template", "templateId": template_id}
    body: dict[str, Any] = {
        "name": f"{prefix}ctx{ctx.index}",
        "description": "  echo test, spaces kept  ",
        "maxConcurrentCalls": 7,
    }
    if row["template"] and template_id:
        body["templateId"] = template_id
    for field in ("direction", "kind"):
        if row[field] is not OMITTED:
            body[field] = row[field]
    if row["handlers"] == "sent":
        body.update(handler_values())
    elif row["handlers"] == "null":
        body.update(dict.fromkeys(HANDLER_FIELDS))
    return body
