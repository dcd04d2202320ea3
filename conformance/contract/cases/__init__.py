"""Table-shaped cases as data (`probes.yaml`, its format in `probes.schema.json`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from conformance.contract import yamlfile

HERE = Path(__file__).resolve().parent
PROBES = HERE / "probes.yaml"
SCHEMA = HERE / "probes.schema.json"


@cache
def probes() -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = yamlfile.load(PROBES)
    return loaded


def table(name: str) -> list[dict[str, Any]]:
    return probes()[name]
