"""The contract's rules, read once from `openapi/rules.yaml`, plus one rule per row of the request
table (`request.<field>`), quoted from the document. Every check, report row, baseline entry and
planted defect uses these ids."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from conformance.contract import yamlfile
from conformance.settings import RULES_FILE


@dataclass(frozen=True)
class Rule:
    id: str
    section: str
    text: str


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yamlfile.load(RULES_FILE)
    return loaded


def fact(name: str) -> Any:
    """A contract fact shared by suite, server and selftests (e.g. `echoed`)."""
    return _data()["facts"][name]


def request_rule(field: str) -> str:
    """Rule id of one row of the request table; its text is the document's own description."""
    return f"request.{field}"


@cache
def rules() -> dict[str, Rule]:
    """Every rule by id: the quoted ones, then one per request field, in the document's order."""
    from conformance.contract.document import (
        request_schema,  # the document reads settings, not rules
    )

    table = {r["id"]: Rule(r["id"], r["section"], r["text"]) for r in _data()["rules"]}
    for name, prop in request_schema()["properties"].items():
        rid = request_rule(name)
        table[rid] = Rule(rid, "Request body", f"`{name}`: {prop.get('description', '')}".strip())
    return table


def rule_text(rule: str) -> str:
    known = rules().get(rule)
    return known.text if known else rule
