"""The deterministic boundary matrix, derived by walking the document's request schema.

No bound is typed here: each constraint of the schema (minLength, maxLength, minimum, maximum,
enum, type and null, pattern, required) yields the value on its edge (accepted: 201 and echoed)
and the value just past it (rejected: 422 with an error whose path names the field). Valid edges
share requests; each invalid edge gets a request of its own, so a 422 names one culprit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import regress

from conformance.contract.document import request_schema, target_operation
from conformance.contract.rules import request_rule
from conformance.contract.shapes import SHAPES, shaped

# The probe carrier for a pattern: checked against the pattern before use, then mutated
# one position at a time; the document's pattern alone decides which mutants are valid.
UUID_CARRIER = "123e4567-e89b-42d3-a456-426614174000"
HEX = "0123456789abcdef"
UTF16_HINT = (
    "a name of {n} code points, most outside the BMP, is {units} UTF-16 units: a server counting "
    "UTF-16 units (JavaScript's `length`) instead of code points rejects it; the likely cause is "
    "UTF-16 counting, unless the 2- and 3-byte shapes at the same edge fail too"
)


@dataclass(frozen=True)
class Probe:
    value: Any
    note: str
    hint: str = ""


@dataclass(frozen=True)
class MatrixCase:
    id: str
    rule: str
    body: dict[str, Any]
    expect: int
    broken: str | None = None  # the single broken field of a rejected case
    notes: tuple[str, ...] = ()
    hint: str = ""


class EcmaPattern:
    """A JSON Schema pattern with ECMA-262 semantics (a real ECMA engine, `regress`): `$` never
    matches before a trailing newline, unlike Python's `re`."""

    def __init__(self, pattern: str) -> None:
        self._regex = regress.Regex(pattern)

    def search(self, value: str) -> regress.Match | None:
        return self._regex.find(value)


def ecma_pattern(pattern: str) -> EcmaPattern:
    return EcmaPattern(pattern)


def _types(schema: dict[str, Any]) -> list[str]:
    raw = schema.get("type", [])
    return [raw] if isinstance(raw, str) else list(raw)


def _pattern_probes(pattern: str) -> tuple[list[Probe], list[Probe]]:
    regex = ecma_pattern(pattern)

    def ok(value: str) -> bool:
        return regex.search(value) is not None

    if not ok(UUID_CARRIER):
        return [], []
    valid: list[Probe] = []
    invalid: list[Probe] = []
    for pos, char in enumerate(UUID_CARRIER):
        if char not in HEX:
            continue
        accepted = [d for d in HEX if ok(UUID_CARRIER[:pos] + d + UUID_CARRIER[pos + 1 :])]
        if len(accepted) == len(HEX) or not accepted:
            continue
        lo, hi = HEX.index(accepted[0]), HEX.index(accepted[-1])
        for idx, good in ((lo, True), (hi, True), (lo - 1, False), (hi + 1, False)):
            if 0 <= idx < len(HEX):
                value = UUID_CARRIER[:pos] + HEX[idx] + UUID_CARRIER[pos + 1 :]
                (valid if good else invalid).append(Probe(value, f"char {pos} = {HEX[idx]!r}"))
    for label, value in (
        ("all zeros (nil)", re.sub("[0-9a-f]", "0", UUID_CARRIER)),
        ("all f (max)", re.sub("[0-9a-f]", "f", UUID_CARRIER)),
        ("upper case", UUID_CARRIER.upper()),
        ("trailing newline", UUID_CARRIER + "\n"),
    ):
        (valid if ok(value) else invalid).append(Probe(value, label))
    return valid, invalid


def _string_probes(
    name: str, schema: dict[str, Any], filler: str, deep: bool = False
) -> tuple[list[Probe], list[Probe]]:
    valid: list[Probe] = []
    invalid: list[Probe] = []
    if "enum" in schema:
        values = [v for v in schema["enum"] if isinstance(v, str)]
        valid += [Probe(v, f"enum value {v!r}") for v in values]
        shouted = values[0].upper() if values[0].upper() != values[0] else values[0] + "x"
        invalid.append(Probe(shouted, f"{shouted!r} is not in the enum (case matters)"))
        return valid, invalid
    if "pattern" in schema:
        return _pattern_probes(schema["pattern"])
    lo, hi = schema.get("minLength"), schema.get("maxLength")
    if lo:
        valid.append(Probe("x" * lo, f"minLength {lo}"))
        invalid.append(Probe("x" * (lo - 1), f"minLength {lo} - 1"))
        if deep:
            # One code point of each kind on the lower edge (a lone space, a lone mark, ...).
            valid += [
                Probe(shaped(s.key, "", lo), f"shape {s.label} at minLength {lo}")
                for s in SHAPES
                if s.key not in ("ascii", "inner-spaces", "trailing-spaces")
            ]
    else:
        valid.append(Probe("", "empty string (no minLength)"))
    if hi is None:
        valid.append(Probe(f"  {filler}edge \t", "surrounding whitespace (no trimming)"))
    for shape in SHAPES if hi is not None else ():
        assert hi is not None  # the loop runs only with a maxLength
        # Every shape on the edge and just past it: counted in code points, echoed exactly.
        at, past = (
            f"shape {shape.label} at maxLength {hi}",
            f"shape {shape.label} at maxLength {hi} + 1",
        )
        hint = ""
        if shape.key == "utf8-4byte":
            units = 2 * hi - len(filler)
            hint = f"{at}: " + UTF16_HINT.format(n=hi, units=units)
        valid.append(Probe(shaped(shape.key, filler, hi), at, hint))
        invalid.append(Probe(shaped(shape.key, filler, hi + 1), past))
    invalid.append(Probe(0, "a number where a string is required"))
    return valid, invalid


def field_probes(
    name: str, schema: dict[str, Any], filler: str, deep: bool = False
) -> tuple[list[Probe], list[Probe]]:
    """(accepted, rejected) edge values of one request field, from its schema alone; `deep`
    (the nightly) adds the value shapes on the lower length edge."""
    types = _types(schema)
    valid: list[Probe] = []
    invalid: list[Probe] = []
    if "string" in types:
        valid, invalid = _string_probes(name, schema, filler, deep)
    if "integer" in types:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None:
            valid += [
                Probe(lo, f"minimum {lo}"),
                Probe(float(lo), f"{float(lo)!r}: integral number"),
            ]
            invalid += [Probe(lo - 1, f"minimum {lo} - 1"), Probe(lo + 0.5, "fractional number")]
            invalid += [Probe(str(lo), "numeric string"), Probe(True, "boolean")]
        if hi is not None:
            valid.append(Probe(hi, f"maximum {hi}"))
            invalid.append(Probe(hi + 1, f"maximum {hi} + 1"))
    if "null" in types:
        valid.append(Probe(None, "null (nullable)"))
    else:
        invalid.append(Probe(None, "null (not nullable)"))
    return valid, invalid


def build_matrix(
    prefix: str, template_fields: tuple[str, ...] = ("templateId",), deep: bool = False
) -> list[MatrixCase]:
    """Every edge of the request schema as cases; `prefix` marks the campaigns the run creates."""
    schema = request_schema()
    created = target_operation().success  # the status of an accepted body
    props: dict[str, dict[str, Any]] = schema["properties"]
    required: list[str] = schema.get("required", [])
    filler = prefix + "x"
    base_name = prefix + "matrix"
    accepted: dict[str, list[Probe]] = {}
    cases: list[MatrixCase] = []

    def alone(name: str, value: Any) -> dict[str, Any]:
        """A minimal valid body but for `name`, so a verdict has one culprit."""
        return {**({} if name in required else {"name": base_name}), name: value}

    for name, sub in props.items():
        valid, invalid = field_probes(name, sub, filler, deep)
        if name in template_fields:
            # A string names a template or not: a free string is a 404 case, not a 201 (below).
            cases += [
                MatrixCase(
                    f"{name}-unknown-{i}",
                    "template.not-found",
                    alone(name, p.value),
                    404,
                    notes=(p.note,),
                )
                for i, p in enumerate(v for v in valid if isinstance(v.value, str))
            ]
            valid = [p for p in valid if not isinstance(p.value, str)]
        accepted[name] = valid
        for i, probe in enumerate(invalid):
            cases.append(
                MatrixCase(
                    f"{name}-reject-{i}",
                    request_rule(name),
                    alone(name, probe.value),
                    422,
                    broken=name,
                    notes=(probe.note,),
                )
            )
    for name in required:
        missing = alone(name, None)
        del missing[name]
        cases.append(
            MatrixCase(
                f"{name}-missing",
                request_rule(name),
                missing,
                422,
                broken=name,
                notes=(f"required {name} omitted",),
            )
        )
    for name, values in accepted.items():
        # A probe with a hint of its own (the non-BMP name) goes alone, so its hint is the cause.
        for i, probe in enumerate(p for p in values if p.hint):
            cases.append(
                MatrixCase(
                    f"{name}-accept-alone-{i}",
                    request_rule(name),
                    alone(name, probe.value),
                    created,
                    notes=(probe.note,),
                    hint=probe.hint,
                )
            )
        accepted[name] = [p for p in values if not p.hint]
    width = max(len(v) for v in accepted.values())
    for i in range(width):
        body = {}
        notes = []
        for name, values in accepted.items():
            if i < len(values):
                body[name] = values[i].value
                notes.append(f"{name}: {values[i].note}")
        body.setdefault("name", f"{base_name}-{i}")
        cases.append(
            MatrixCase(f"accept-{i}", "request.accepted-edges", body, created, notes=tuple(notes))
        )
    if schema.get("additionalProperties", True) is not False:
        cases.append(
            MatrixCase(
                "unknown-property",
                "body.unknown-properties",
                {"name": base_name, "unknownField": "ignored"},
                created,
                notes=("a property the table does not list",),
            )
        )
    # Accepted edges first: their 201s carry the campaign, so a broken response shape or a
    # rejected valid value shows on the first requests (what counts against 60 per minute).
    return sorted(cases, key=lambda case: case.expect != created)
