"""The hard values for free-text fields (`cases/values.yaml`), the fields they go in, and how a
run spreads them over the creating bodies it sends.

The free-text fields are read from the document: the request's string properties with no
enum, no pattern and no format, but `templateId` (a string that names a template or not). Each
hard value is a valid value of each such field, except where a field's own length rule says no
(`name`: 1 to 255 code points, and it carries the run's prefix); a target must create the
campaign and echo the value exactly. At the gate every category and every field gets at least
one value in a run; the nightly sends every value, and every category in every field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from conformance.contract import yamlfile
from conformance.contract.cases import HERE
from conformance.contract.document import request_schema

VALUES = HERE / "values.yaml"
SKIPPED = ("templateId",)


@dataclass(frozen=True)
class HardValue:
    category: str
    label: str  # what a finding says of the category
    value: str
    index: int  # its place in the category


@cache
def catalogue() -> tuple[tuple[str, tuple[HardValue, ...]], ...]:
    """(category, its values) in the file's order."""
    data: dict[str, Any] = yamlfile.load(VALUES)
    out = []
    for category, spec in data.items():
        values = []
        for i, raw in enumerate(spec["values"]):
            value = raw["repeat"] * raw["count"] if isinstance(raw, dict) else str(raw)
            values.append(HardValue(category, spec["label"], value, i))
        out.append((category, tuple(values)))
    return tuple(out)


@cache
def free_text_fields() -> tuple[str, ...]:
    """The request's free-text fields, in the document's order."""
    out = []
    for name, prop in request_schema()["properties"].items():
        types = prop.get("type", [])
        types = [types] if isinstance(types, str) else types
        plain = not ({"enum", "pattern", "format"} & set(prop))
        if "string" in types and plain and name not in SKIPPED:
            out.append(name)
    return tuple(out)


def fits(field: str, value: HardValue, prefix: str = "") -> bool:
    """Whether `value` (after `prefix`, for a field that carries it) keeps the field's rules."""
    prop = request_schema()["properties"][field]
    text = prefix + value.value
    low, high = prop.get("minLength", 0), prop.get("maxLength")
    return len(text) >= low and (high is None or len(text) <= high)


def pairs(depth: str) -> list[tuple[str, HardValue]]:
    """(field, value) to send in a run: at the gate one value of each category, each in a
    field of its own in turn, then every field not yet given one; at the nightly every
    category in every field, each category's values in turn, so every value is sent."""
    fields = free_text_fields()
    chosen: list[tuple[str, HardValue]] = []
    if depth == "nightly":
        for n, (_, values) in enumerate(catalogue()):
            for i, field in enumerate(fields):
                chosen.append((field, values[(i + n) % len(values)]))
        return chosen
    for n, (_, values) in enumerate(catalogue()):
        chosen.append((fields[n % len(fields)], values[n % len(values)]))
    done = {f for f, _ in chosen}
    for n, field in enumerate(f for f in fields if f not in done):
        chosen.append((field, catalogue()[n][1][0]))
    return chosen


def spread(
    wanted: Sequence[tuple[str, HardValue]], slots: Sequence[Sequence[str]], prefix: str
) -> tuple[list[dict[str, HardValue]], list[tuple[str, HardValue]]]:
    """The wanted (field, value) pairs put into bodies whose free fields are `slots` (one list
    of field names per body), one value a field a body; what did not fit is returned too, for
    bodies of its own. A value that breaks a field's own rule (a name too long) is skipped."""
    bodies: list[dict[str, HardValue]] = [{} for _ in slots]
    left = []
    for field, value in wanted:
        if not fits(field, value, prefix if field == "name" else ""):
            continue
        body = next(
            (b for b, free in zip(bodies, slots, strict=True) if field in free and field not in b),
            None,
        )
        if body is None:
            left.append((field, value))
        else:
            body[field] = value
    return bodies, left


def packed(left: Sequence[tuple[str, HardValue]]) -> Iterator[dict[str, HardValue]]:
    """The pairs left over, in as few bodies as their fields allow (one value a field)."""
    bodies: list[dict[str, HardValue]] = []
    for field, value in left:
        body = next((b for b in bodies if field not in b), None)
        if body is None:
            body = {}
            bodies.append(body)
        body[field] = value
    yield from bodies
