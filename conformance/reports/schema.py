"""The JSON Schema of `conformance.json`, generated from the report model and kept in the
repository (`conformance/reports/conformance.schema.json`) for the tools that read reports.

`python -m conformance.reports.schema` rewrites it; a selftest fails when it is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema

from conformance.reports.model import SCHEMA_VERSION, Report
from conformance.reports.typed import json_schema

SCHEMA_FILE = Path(__file__).resolve().parent / "conformance.schema.json"


def report_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = json_schema(Report, defs)
    name = root["$ref"].rsplit("/", 1)[-1]
    top = defs.pop(name)
    top["properties"]["schema_version"] = {"const": SCHEMA_VERSION}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:carecycle:conformance-report:{SCHEMA_VERSION}",
        "title": "CareCycle conformance report (conformance.json)",
        **top,
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(report_schema(), indent=2) + "\n"



def load_checked(path: Path) -> Report:
    """A report file as every reader reads it: checked against the schema kept in the
    repository, then read into the typed model."""
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    return Report.from_dict(data)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    sys.exit(0)
