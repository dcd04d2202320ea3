"""The hard values of free-text fields: the catalogue keeps its format, the gate packs every
category and every free-text field into the creating bodies it sends anyway, the nightly every
value and every category in every field; a packed body's culprit is found by halving; ids stay
unique under concurrent creations, and a race in the target is named as one."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from conformance.checks.contexts import contexts
from conformance.checks.packing import Packed, assign, culprit, row_body
from conformance.contract import yamlfile
from conformance.contract.cases import HERE
from conformance.contract.values import VALUES, catalogue, fits, free_text_fields, pairs
from harness.embedded import EmbeddedKeys
from tests.selftest.suite_runner import TEMPLATE, run_suite

PREFIX = "cct-unit-"


def test_the_catalogue_matches_its_schema_and_holds_every_category_of_the_issue() -> None:
    schema = json.loads((HERE / "values.schema.json").read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(yamlfile.load(VALUES)))
    assert not errors, [e.message for e in errors]
    categories = [c for c, _ in catalogue()]
    assert categories == [
        "control", "astral", "combining", "invisible", "whitespace", "markup", "quotes", "lines",
        "long", "empty",
    ]  # fmt: skip
    longest = max(len(v.value) for _, values in catalogue() for v in values)
    assert longest == 8192  # what the document's description says the suite sends


def test_the_free_text_fields_come_from_the_document() -> None:
    assert free_text_fields() == (
        "name", "description", "primaryAssistantId", "primaryTerminalNumber",
        "afterHoursAssistantId", "afterHoursTerminalNumber",
    )  # fmt: skip


def test_the_gate_packs_every_category_and_field_into_its_context_rows() -> None:
    rows = contexts("gate")
    hard, extra = assign(rows, "gate", PREFIX)
    assert extra == [], "the gate needs no campaign of its own for hard values"
    sent = [(f, v) for packed in hard for f, v in packed.values.items()]
    assert {v.category for _, v in sent} == {c for c, _ in catalogue()}
    assert {f for f, _ in sent} == set(free_text_fields())
    for ctx, packed in zip(rows, hard, strict=True):
        body = row_body(ctx, PREFIX, TEMPLATE, packed)
        assert len(body["name"]) <= 255 and body["name"].startswith(PREFIX)


def test_the_nightly_sends_every_value_and_every_category_in_every_field() -> None:
    rows = contexts("nightly")
    hard, extra = assign(rows, "nightly", PREFIX)
    sent = [(f, v) for packed in hard + extra for f, v in packed.values.items()]
    every_value = {(v.category, v.index) for _, values in catalogue() for v in values}
    assert {(v.category, v.index) for _, v in sent} == every_value
    pairs_sent = {(f, v.category) for f, v in sent}
    for field in free_text_fields():
        for category, values in catalogue():
            if fits(field, values[0], PREFIX + "ctx900-" if field == "name" else ""):
                assert (field, category) in pairs_sent, (field, category)
    assert len(pairs("nightly")) == len(free_text_fields()) * len(catalogue())


def test_the_culprit_is_found_by_halving_within_its_probes() -> None:
    values = dict(
        next(p for p in assign(contexts("gate"), "gate", PREFIX)[0] if len(p.values) >= 4).values
    )
    hard = Packed(values)
    bad = list(values)[-1]
    probes: list[list[str]] = []

    def fails(subset: Packed) -> bool:
        probes.append(list(subset.values))
        return bad in subset.values

    assert culprit(hard, fails, probes=3) == bad
    assert len(probes) <= 3
    assert culprit(hard, lambda subset: None, probes=3) is None  # no probe could be sent


KEYS = EmbeddedKeys("cc_val_main_5f6a7b", "cc_val_ro_5f6a7b", "cc_val_b_5f6a7b", TEMPLATE)


def test_ids_from_a_racing_counter_are_named_a_race(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "-m", "semantic", REFSERVER_DEFECT="id_counter_race")
    report = run.conformance()
    assert run.code == 1, run.output[-3000:]
    (row,) = report.broken
    assert row.rule == "semantic.id"
    assert any("returned for 2 concurrent creations" in w for f in row.findings for w in f.what)


def test_a_packed_body_refused_names_its_field_and_category(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "-m", "semantic", REFSERVER_DEFECT="description_astral_500")
    report = run.conformance()
    (row,) = report.broken
    assert row.rule == "robustness.no-5xx"
    assert "description: characters outside the BMP (astral #" in row.findings[0].hint
    assert "gave 500" in row.findings[0].hint
