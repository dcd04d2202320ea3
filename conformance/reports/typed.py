"""Dataclasses to and from JSON by their type hints: the reader of the report model and the
generator of its JSON Schema share one reading of the types."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
_SCALARS: Mapping[type, Mapping[str, Any]] = MappingProxyType({
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
})


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def from_json(tp: Any, value: Any) -> Any:
    """`value` (parsed JSON) as an instance of `tp`."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp)
        return tp(**{f.name: from_json(hints[f.name], value[f.name]) for f in dataclasses.fields(tp)})
    if _is_union(tp):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        inner = next(a for a in options if a is not type(None))
        return from_json(inner, value)
    origin = get_origin(tp)
    if origin is tuple:
        return tuple(from_json(get_args(tp)[0], v) for v in value)
    if origin is dict:
        return {k: from_json(get_args(tp)[1], v) for k, v in value.items()}
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def json_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (2020-12) for `tp`; dataclasses go to `defs` by name."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # a placeholder while the fields are walked
            hints = get_type_hints(tp)
            fields = dataclasses.fields(tp)
            defs[name] = {
                "type": "object",
                "properties": {f.name: json_schema(hints[f.name], defs) for f in fields},
                "required": [f.name for f in fields],
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    if _is_union(tp):
        return {"anyOf": [json_schema(a, defs) for a in get_args(tp)]}
    origin = get_origin(tp)
    if origin is tuple:
        return {"type": "array", "items": json_schema(get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema(get_args(tp)[1], defs)}
    if tp is typing.Any:
        return {}
    return dict(_SCALARS[tp])
