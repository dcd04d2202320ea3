"""Hard values packed into the creating bodies a run sends anyway (the semantic context rows, and
at the nightly a few bodies of their own), and the culprit of a packed body that fails.

Each context row's free fields (its name and description, its handler ids and numbers when it
sends handlers) take hard values from the catalogue (`conformance/contract/values.py`), so the
gate sends every category in every free-text field at no extra campaign. A packed body the
target refuses says nothing of which value it could not take: the run then sends the body again
with half its hard values, and so on down to one, within the re-run allowance (each probe is a
request, and a campaign when the target takes it), and the finding names the field and the
category ("description: characters outside the BMP gave 500")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.checks.contexts import Context, context_body
from conformance.checks.semantic import HANDLER_FIELDS
from conformance.contract.values import HardValue, free_text_fields, packed, pairs, spread


@dataclass(frozen=True)
class Packed:
    """A creating body's hard values, by field."""

    values: Mapping[str, HardValue]

    def apply(self, body: dict[str, Any], name_head: str) -> dict[str, Any]:
        """`body` with its hard values in (the name keeps `name_head`, the run's prefix)."""
        out = dict(body)
        for field, value in self.values.items():
            out[field] = name_head + value.value if field == "name" else value.value
        return out

    def only(self, fields: Sequence[str]) -> Packed:
        return Packed({f: v for f, v in self.values.items() if f in fields})

    def said(self, field: str) -> str:
        value = self.values[field]
        return f"{field}: {value.label} ({value.category} #{value.index + 1})"


def slots(ctx: Context) -> list[str]:
    """A row's free-text fields that can take a hard value: the vetting's template probe row
    sends only what it must, so none; the handler fields only where the row sends handlers."""
    if ctx.is_preflight_probe:
        return []
    fields = [f for f in free_text_fields() if f not in HANDLER_FIELDS]
    if ctx.row["handlers"] == "sent":
        fields += [f for f in free_text_fields() if f in HANDLER_FIELDS]
    return fields


def assign(rows: Sequence[Context], depth: str, prefix: str) -> tuple[list[Packed], list[Packed]]:
    """(each row's hard values, the bodies of their own for what the rows cannot hold)."""
    heads = [name_head(prefix, ctx.index) for ctx in rows]
    head = max(heads, key=len, default=prefix)
    bodies, left = spread(pairs(depth), [slots(c) for c in rows], head)
    return [Packed(b) for b in bodies], [Packed(b) for b in packed(left)]


def name_head(prefix: str, index: int) -> str:
    return f"{prefix}ctx{index}-"


def row_body(ctx: Context, prefix: str, template_id: str | None, hard: Packed) -> dict[str, Any]:
    return hard.apply(context_body(ctx, prefix, template_id), name_head(prefix, ctx.index))


def culprit(hard: Packed, fails: Callable[[Packed], bool | None], probes: int) -> str | None:
    """The field whose hard value a failing packed body breaks on, by halving: `fails(subset)`
    sends the body with only that subset of its hard values (True: it fails again; None: no
    probe could be sent). At most `probes` probes; None when the culprit is not found."""
    fields = list(hard.values)
    while len(fields) > 1 and probes > 0:
        half = fields[: len(fields) // 2]
        probes -= 1
        answer = fails(hard.only(half))
        if answer is None:
            return None
        fields = half if answer else fields[len(half) :]
    return fields[0] if len(fields) == 1 else None
