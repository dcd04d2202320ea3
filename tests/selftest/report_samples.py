"""Hand-made reports for renderer and tooling selftests: a partial conformance.json, the fields
a test does not care about filled with empty values of their type, read into the typed model."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_origin, get_type_hints

from conformance.reports.model import SCHEMA_VERSION, Report
from conformance.reports.typed import _is_union, from_json


def _empty(tp: Any) -> Any:
    if dataclasses.is_dataclass(tp):
        return filled(tp, {})
    if _is_union(tp):
        return None
    return {tuple: [], dict: {}}.get(get_origin(tp), {str: "", int: 0, float: 0.0}.get(tp))


def filled(tp: Any, partial: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(tp)
    out = dict(partial)
    for f in dataclasses.fields(tp):
        kind = hints[f.name]
        if f.name not in out:
            out[f.name] = _empty(kind)
        elif dataclasses.is_dataclass(kind) and isinstance(out[f.name], dict):
            out[f.name] = filled(kind, out[f.name])
        elif get_origin(kind) is tuple and dataclasses.is_dataclass(get_args(kind)[0]):
            out[f.name] = [filled(get_args(kind)[0], v) for v in out[f.name]]
        elif _is_union(kind) and isinstance(out[f.name], dict):
            inner = next(a for a in get_args(kind) if a is not type(None))
            out[f.name] = filled(inner, out[f.name])
    return out


def sample(partial: dict[str, Any]) -> Report:
    """A full report from a partial one (as JSON); `schema_version` is the current one."""
    data = filled(Report, partial) | {"schema_version": SCHEMA_VERSION}
    report: Report = from_json(Report, data)
    return report
