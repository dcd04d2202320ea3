"""The declared engine: a misspelt rule id stops the collection naming where it is; an exception
of the suite's own is a suite error, never a finding against the target; the report file is the
schema kept in the repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance.contract.rules import rules
from conformance.reports.schema import SCHEMA_FILE, render
from tests.selftest.suite_runner import ROOT, load_report
from tooling.runs import child_env, run_here
from tooling.targets import InProcessTarget

BOOM = """
import pytest

@pytest.mark.semantic
@pytest.mark.rule("{rule}")
def test_injected(api):
    api.post({{"name": "x"}})
    raise AttributeError("'NoneType' object has no attribute 'boom'")
"""


MISSPELT_LITERAL = """
import pytest
from conformance.checks.verdict import fail

@pytest.mark.robustness
@pytest.mark.rule("robustness.no-5xx")
def test_injected(api):
    if api.post({{"name": "x"}}).status >= 500:
        fail("robustness.no-5xxx", "a server fault")
"""

OVERSPENDS = """
import pytest

@pytest.mark.semantic
@pytest.mark.rule("{rule}")
@pytest.mark.cost(requests=1)
def test_injected(api):
    api.post({{}})
    api.post({{}})  # one more than it declared
"""


def run(tmp_path: Path, rule: str, source: str = BOOM, **env: str) -> tuple[int | None, str]:
    """The suite's auth tests plus one injected test of our own, against the embedded server."""
    extra = tmp_path / "test_injected.py"
    extra.write_text(source.format(rule=rule), encoding="utf-8")
    # The injected file lies outside the tree: name the project's configuration and root.
    args = ("-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(extra))
    run = run_here(
        tmp_path / "reports",
        *args,
        "-k",
        "auth or injected",
        env=child_env(**env),
        plugins=[InProcessTarget()],
    )
    return run.code, run.output


def test_a_misspelt_marker_is_a_collection_error_naming_file_and_id(tmp_path: Path) -> None:
    code, out = run(tmp_path, "semantic.drfat")
    assert code == 4, out[-2000:]
    assert "unknown rule id 'semantic.drfat'" in out
    assert "test_injected.py" in out
    assert not (tmp_path / "reports" / "conformance.json").exists()  # nothing was sent


def test_a_misspelt_baseline_entry_is_a_collection_error(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    entry = {
        "operation": "POST /v2/campaigns",
        "check": "semantic.ehco",
        "failure": "ConformanceFailure",
        "signature": "test_x",
        "reason": "a typo",
    }
    baseline.write_text(json.dumps({"format_version": 1, "entries": [entry]}), encoding="utf-8")
    code, out = run(tmp_path, "semantic.draft", BASELINE=str(baseline))
    assert code == 4, out[-2000:]
    assert "unknown rule id 'semantic.ehco'" in out and str(baseline) in out


def test_a_suite_error_is_never_blamed_on_the_target(tmp_path: Path) -> None:
    code, out = run(tmp_path, "semantic.draft")
    assert code == 9, out[-3000:]
    report = load_report(tmp_path / "reports" / "conformance.json")
    assert report.run.exit_status == 9
    assert report.verdicts.failed == 0 and not report.broken
    (error,) = report.suite_errors
    assert error.test.endswith("test_injected")
    assert "AttributeError" in error.error and "Traceback" in error.traceback
    draft = next(r for r in report.rules if r.rule == "semantic.draft")
    assert draft.verdict == "not tested" and draft.suite_error == 1 and draft.failed == 0
    # One line for the user; the traceback stays in the reports.
    assert "SUITE ERROR in test_injected: AttributeError" in out
    assert "FAIL semantic.draft" not in out
    # The rest of the run went on.
    assert report.tests.passed > 0
    md = (tmp_path / "reports" / "conformance.md").read_text(encoding="utf-8")
    assert "## Suite errors" in md and "not findings against the target" in md


def test_the_kept_report_schema_is_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "conformance.schema.json is stale: run `python -m conformance.reports.schema`"
    )


def test_every_rule_has_a_check_that_can_break_it() -> None:
    """Each rule of rules.yaml is declared by a collected test, or judged by a registered
    check (the Schemathesis failure map among them). The mutation check proves each can fail."""
    code = (
        "import json\n"
        "from tooling.plan import collect\n"
        "from conformance.checks.catalogue import named_by_checks\n"
        "ids = {m.args[0] for item in collect() for m in item.iter_markers('rule')}\n"
        "ids |= {n.rule for n in named_by_checks()}\n"
        "print(json.dumps(sorted(ids)))\n"
    )
    env = child_env(DEPTH="nightly")  # the deepest collection
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    covered = set(json.loads(out.stdout.strip().splitlines()[-1]))
    missing = sorted(set(rules()) - covered)
    assert not missing, f"rules with no test or check that can break them: {missing}"


def test_a_misspelt_rule_in_a_fail_literal_is_a_collection_error(tmp_path: Path) -> None:
    code, out = run(tmp_path, "", MISSPELT_LITERAL)
    assert code == 4, out[-2000:]
    assert "test_injected.py:9: unknown rule id 'robustness.no-5xxx'" in out, out[-2000:]
    assert not (tmp_path / "reports" / "conformance.json").exists()  # nothing was sent


def test_a_test_that_spends_more_than_it_declared_is_a_suite_error(tmp_path: Path) -> None:
    code, out = run(tmp_path, "semantic.draft", OVERSPENDS)
    assert code == 9, out[-3000:]
    report = load_report(tmp_path / "reports" / "conformance.json")
    (error,) = report.suite_errors
    assert error.test.endswith("test_injected")
    assert "test_injected sent 2 requests, declared 1" in error.error
    assert report.verdicts.failed == 0
