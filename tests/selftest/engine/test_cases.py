"""The suite's table-shaped cases are data with a format of their own, checked here (as the
JSON-Schema-Test-Suite checks its own case files)."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from conformance.contract.cases import SCHEMA, probes
from conformance.contract.rules import rules


def test_probes_match_their_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema).iter_errors(probes()))
    assert not errors, [e.message for e in errors]


def test_probe_ids_are_unique_and_rules_known() -> None:
    for name, rows in probes().items():
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), name
    assert {row["rule"] for row in probes()["order"]} <= set(rules())


def test_schema_refuses_a_broken_table() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**probes(), "order": [{"id": "x", "rule": "order", "key": "API_KEY", "expect": 422}]}
    assert list(Draft202012Validator(schema).iter_errors(broken)), "a probe without a body passed"
