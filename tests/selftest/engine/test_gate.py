"""The suite's own guarantees, each proven on a real run: no key leaks, the baseline accepts
and reports stale entries, the request budget ends a run cleanly."""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest.suite_runner import TEMPLATE, make_plan, reference_server, run_suite

CANARY = "cc_canary_" + secrets.token_hex(10)
KEYS = EmbeddedKeys(CANARY, CANARY + "_ro", CANARY + "_b", TEMPLATE)


def target(url: str) -> dict[str, str]:
    return {
        "BASE_URL": url,
        "API_KEY": CANARY,
        "FORBIDDEN_API_KEY": CANARY + "_ro",
        "OTHER_API_KEY": CANARY + "_b",
        "TEMPLATE_ID": TEMPLATE,
    }


def test_no_artifact_or_output_carries_the_key(tmp_path: Path) -> None:
    # A defect that fails tests of every kind, so failure messages and curl lines are written.
    with reference_server(KEYS, defect="campaign_missing_features") as url:
        run = run_suite(tmp_path, **target(url))
    assert run.code == 1, run.output[-2000:]
    artifacts = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in artifacts}
    assert {
        "junit.xml",
        "report.html",
        "conformance.json",
        "conformance.md",
        "created.json",
        "exchanges.har",
        "history.sqlite",
    } <= names
    # The reproduce line reads the key from the environment; the key itself is never written.
    assert '"x-api-key: $API_KEY"' in (tmp_path / "conformance.md").read_text(encoding="utf-8")
    created = json.loads((tmp_path / "created.json").read_text(encoding="utf-8"))["campaigns"]
    prefix = "cct-" + run.conformance().run.run_id + "-"
    assert created and all(c["id"] and c["time"] for c in created)
    # Only names on a short edge (or the all-astral probe) cannot carry the run's prefix.
    unmarked = [c["name"] for c in created if prefix not in str(c["name"])]
    assert all(len(n) < len(prefix) or not n.isascii() for n in unmarked), unmarked
    for text, where in [
        (run.output, "pytest output"),
        *((p.read_text("utf-8", "replace"), str(p)) for p in artifacts),
    ]:
        assert CANARY not in text, f"the API key leaked into {where}"


def test_baseline_accepts_listed_findings_and_reports_stale_ones(tmp_path: Path) -> None:
    deterministic = ("-m", "not contract")
    with reference_server(KEYS, defect="tags_nonempty") as url:
        first = run_suite(tmp_path / "first", *deterministic, **target(url))
        assert first.code == 1
        failures = [f for row in first.conformance().rules for f in row.findings]
        assert failures
        entries = [
            {
                "operation": "POST /v2/campaigns",
                "check": row.rule,
                "failure": "ConformanceFailure",
                "signature": f.test,
                "reason": "known: tags seeded by the vendor",
            }
            for row in first.conformance().rules
            for f in row.findings
        ]
        entries.append(
            {
                "operation": "POST /v2/campaigns",
                "check": "semantic.draft",
                "failure": "ConformanceFailure",
                "signature": "test_gone",
                "reason": "fixed long ago",
            }
        )
        baseline = tmp_path / "baseline.json"
        baseline.write_text(json.dumps({"format_version": 1, "entries": entries}), encoding="utf-8")
        second = run_suite(
            tmp_path / "second", *deterministic, BASELINE=str(baseline), **target(url)
        )
    assert second.code == 0, second.output[-3000:]
    report = second.conformance()
    assert report.tests.accepted == first.conformance().tests.failed > 0
    assert report.tests.failed == 0
    stale = report.run.baseline.stale
    assert [e.signature for e in stale] == ["test_gone"]
    assert "no longer reproduces: stale" in second.output


def test_a_baseline_entry_without_reason_is_refused(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    entry = {
        "operation": "POST /v2/campaigns",
        "check": "semantic.draft",
        "failure": "y",
        "signature": "z",
    }
    baseline.write_text(json.dumps({"format_version": 1, "entries": [entry]}), encoding="utf-8")
    run = run_suite(tmp_path, "-m", "boundary", BASELINE=str(baseline))
    assert run.code == 8  # a setup error
    assert "has no reason" in run.output


@pytest.mark.parametrize("budget", [20])
def test_request_budget_ends_the_run_cleanly(tmp_path: Path, budget: int) -> None:
    run = run_suite(tmp_path, MAX_REQUESTS=str(budget))
    # Never green on what it did not test: exit 7, "not tested", with the reason in the reports.
    assert run.code == 7, run.output[-2000:]
    report = run.conformance()
    assert report.requests.sent <= budget
    assert "MAX_REQUESTS" in report.run.not_covered
    assert report.tests.not_tested > 0 and report.tests.failed == 0
    assert "stopped early" in run.output


def test_same_seed_same_run(tmp_path: Path) -> None:
    """The gate's promise: a fixed seed, derandomized, sends the same requests twice."""
    runs = [run_suite(tmp_path / str(i), "-m", "contract") for i in range(2)]
    assert [r.code for r in runs] == [0, 0]
    sent = [r.conformance().requests.sent for r in runs]
    assert sent[0] == sent[1] > 20


def test_plan_lists_the_matrix_and_sends_nothing(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        out = make_plan(BASE_URL=url, API_KEY=CANARY)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected
    curls = [line for line in out.splitlines() if line.startswith("curl -X POST")]
    assert 40 <= len(curls) <= 60
    assert CANARY not in out and all('"x-api-key: $API_KEY"' in c for c in curls)


@pytest.mark.parametrize("defect", ["description_dropped", "handler_fields_swapped"])
def test_a_finding_never_costs_another_rule_its_verdict(tmp_path: Path, defect: str) -> None:
    """A defect that fails every creating case re-runs within the campaigns the plan keeps
    for re-runs: every other rule is still judged, none is left not tested."""
    run = run_suite(tmp_path, SEED="20261126", REFSERVER_DEFECT=defect)
    report = run.conformance()
    assert run.code == 1, run.output[-2000:]
    assert [r.rule for r in report.broken] == ["semantic.echo"]
    assert report.verdicts.not_tested == 0, [r.rule for r in report.rules if r.not_tested]
