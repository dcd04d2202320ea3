"""The JSON Schema of `conformance.json`, generated from the report model and kept in the
repository (`conformance/reports/conformance.schema.json`) for the tools that read reports.

`python -m conformance.reports.schema` rewrites it; a selftest fails when it is stale."""

from __future__ import annotations

import json
import sys
from functools import lru_cache
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



@lru_cache(maxsize=4)
def _validator(schema_text: str) -> jsonschema.Draft202012Validator:
    # Checking the schema itself and building its validator is most of a check's cost; the
    # mutation check reads ~290 reports. Keyed by the file's text, so an edited file is read anew.
    schema = json.loads(schema_text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load_checked(path: Path) -> Report:
    """A report file as every reader reads it: checked against the schema kept in the
    repository, then read into the typed model."""
    data = json.loads(path.read_text(encoding="utf-8"))
    validator = _validator(SCHEMA_FILE.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise error
    return Report.from_dict(data)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    sys.exit(0)
