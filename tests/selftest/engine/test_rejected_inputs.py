"""A rejected optional input does not stop the run: FORBIDDEN_API_KEY answered 401, OTHER_API_KEY
refused and TEMPLATE_ID not found make their checks not runnable (off, with a reason naming the
variable and both readings); the rest runs; exit 8 when nothing else broke, 1 when it did."""

from __future__ import annotations

import uuid
from pathlib import Path

from harness.embedded import EmbeddedKeys
from tests.selftest.suite_runner import TEMPLATE, reference_server, run_suite

KEYS = EmbeddedKeys("cc_rejin_a1b2c3d4e5f6", "cc_rejin_ro_a1b2c3", "cc_rejin_b_a1b2c3", TEMPLATE)
WRONG = {
    "FORBIDDEN_API_KEY": "cc_rejin_unknown_ro_1234",
    "OTHER_API_KEY": "cc_rejin_unknown_b_1234",
    "TEMPLATE_ID": str(uuid.UUID(int=7)),
}


def _reasons(run) -> dict[str, list[str]]:
    return {r.rule: list(r.reasons) for r in run.conformance().rules}


def test_rejected_inputs_make_their_checks_not_runnable(tmp_path: Path) -> None:
    with reference_server(KEYS) as url:
        run = run_suite(tmp_path, BASE_URL=url, API_KEY=KEYS.api_key, **WRONG)
    assert run.code == 8, run.output[-3000:]
    assert "Traceback" not in run.output and "_pytest.outcomes.Exit" not in run.output
    reasons = _reasons(run)
    forbidden = " ".join(reasons["auth.forbidden"])
    assert (
        "not runnable: FORBIDDEN_API_KEY" in forbidden
        and "401 where the contract says 403" in forbidden
    )
    assert any("not runnable: OTHER_API_KEY" in r for r in reasons["auth.tenant"]), reasons
    assert any("not runnable: TEMPLATE_ID" in r for r in reasons["semantic.template-name"]), reasons
    doc = run.conformance()
    assert doc.tests.passed > 30, doc.tests  # the rest of the run went on
    assert "input rejected: FORBIDDEN_API_KEY" not in run.output  # the variable named, no key
    assert "not runnable (FORBIDDEN_API_KEY rejected by the target)" in run.output
    for key in WRONG.values():
        assert key not in run.output


def test_a_finding_outranks_a_rejected_input(tmp_path: Path) -> None:
    with reference_server(KEYS, defect="validation_path_generic") as url:
        run = run_suite(
            tmp_path,
            BASE_URL=url,
            API_KEY=KEYS.api_key,
            FORBIDDEN_API_KEY=WRONG["FORBIDDEN_API_KEY"],
        )
    assert run.code == 1, run.output[-3000:]
    assert any("not runnable" in r for r in _reasons(run)["auth.forbidden"]), _reasons(run)
