"""summary.html and the job summary from a small hand-made conformance.json: no server, no
network (the Chromium test loads a local file only, and is skipped where Chromium is absent)."""

from __future__ import annotations

import copy
import html
from pathlib import Path
from typing import Any

import pytest

from conformance.reports.htmlreport import main, markdown_summary, summary_html, write_summary
from tests.selftest.report_samples import sample
from tooling.screenshot import CHROMIUM, screenshot

KEY = "cc_live_htmlreport_0123456789"
BROKEN_TEXT = "A 422 lists at least one error whose `path` starts with the broken field."


def _row(rule: str, verdict: str, **counts: int) -> dict[str, Any]:
    base = dict.fromkeys(("passed", "failed", "accepted", "transport", "not_tested", "off"), 0)
    return {
        "rule": rule,
        "text": f"The text of {rule}.",
        "section": "Responses",
        "cases": sum(counts.values()),
        **(base | counts),
        "findings": [],
        "reasons": [],
        "verdict": verdict,
    }


def _finding(test: str, what: str) -> dict[str, Any]:
    return {
        "test": test,
        "what": [what],
        "hint": "",
        "reproduce": "curl -X POST http://127.0.0.1:1/v2/campaigns -H 'x-api-key: $API_KEY'",
        "response": {"status": 422, "content_type": "application/json", "body": '{"errors":[]}'},
    }


def clean_doc() -> dict[str, Any]:
    return {
        "operation": "POST /v2/campaigns",
        "run": {
            "run_id": "20260101T000000abcd",
            "seed": 7,
            "target": "embedded reference server",
            "exit_status": 0,
            "exit_meaning": "conforming: every planned check ran and passed",
            "setup_error": None,
            "not_covered": None,
        },
        "requests": {
            "sent": 12,
            "throttled": 1,
            "transport_errors": [],
            "campaigns_created": 3,
            "by_part": {},
        },
        "tests": {"passed": 4, "failed": 0},
        "verdicts": {"passed": 2, "off": 1},
        "rules": [
            _row("auth.unauthorized", "passed", passed=3),
            _row("request.name", "passed", passed=1),
            _row("rate.limit", "off", off=1) | {"reasons": ["needs RATE_LIMIT"]},
        ],
    }


def failing_doc() -> dict[str, Any]:
    doc = clean_doc()
    doc["run"] |= {"exit_status": 1, "exit_meaning": "findings: the target broke at least one rule"}
    broken = _row("validation.errors", "failed", failed=2) | {"text": BROKEN_TEXT}
    broken["findings"] = [
        _finding("test_edge[name-0]", "no error path starts with 'name'"),
        _finding("test_edge[name-1]", "no error path starts with 'name' (long)"),
    ]
    other = _row("response.documented", "failed", failed=1)
    other["findings"] = [_finding("test_contract", "status 500 is not documented")]
    doc["rules"] = [broken, other, *doc["rules"]]
    doc["verdicts"] |= {"failed": 2}
    return doc


def test_clean_title_has_the_verdict_and_no_card() -> None:
    page = summary_html(sample(clean_doc()))
    assert "<title>Conformance: POST /v2/campaigns — conforming</title>" in page
    assert 'class="card"' not in page
    assert "None: no rule was found broken." in page
    assert "<li>Off because needs RATE_LIMIT: <code>rate.limit</code>.</li>" in page


def test_failing_has_one_card_per_broken_rule_and_quotes_each_rule_once() -> None:
    page = summary_html(sample(failing_doc()))
    assert "— findings</title>" in page
    assert page.count('<section class="card"') == 2
    assert page.count(html.escape(BROKEN_TEXT)) == 1
    # The second case of a rule is named, not shown as another card.
    assert "test_edge[name-1]" in page
    assert "white-space: pre-wrap; overflow-wrap: anywhere" in page


def test_everything_is_escaped() -> None:
    doc = failing_doc()
    doc["rules"][0]["findings"][0]["what"] = ["<script>alert(1)</script>"]
    doc["run"]["target"] = "<script>x</script>"
    page = summary_html(sample(doc))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_external_resources() -> None:
    page = summary_html(sample(failing_doc()))
    for marker in ("http://cdn", "https://", "<link", "<script", "@import"):
        assert marker not in page


def test_write_summary_masks_a_key_in_the_doc(tmp_path: Path) -> None:
    doc = failing_doc()
    doc["rules"][0]["findings"][0]["reproduce"] = f"curl -H 'x-api-key: {KEY}'"
    doc["run"]["not_covered"] = f"stopped with {KEY.removeprefix('cc_')} in the message"
    path = write_summary(tmp_path, sample(doc), [KEY])
    text = path.read_text(encoding="utf-8")
    assert path.name == "summary.html"
    assert KEY not in text
    assert KEY.removeprefix("cc_") not in text
    assert "***" in text


def test_markdown_summary_groups_findings_first() -> None:
    text = markdown_summary(sample(failing_doc()))
    lines = text.splitlines()
    assert lines[0] == "### Conformance: POST /v2/campaigns — findings"
    first = lines.index("**Findings**")
    assert lines[first + 2].startswith("- `validation.errors`: 2 case(s): `no error path")
    assert lines[first + 3].startswith("- `response.documented`: 1 case(s)")
    assert "**Totals:** 2 rule(s) broken" in text
    assert "None." in markdown_summary(sample(clean_doc()))


def test_job_summary_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:

    path = tmp_path / "conformance.json"
    assert main(["--job-summary", str(path)]) == 0  # no report: a line, not a failed step
    assert "did not run" in capsys.readouterr().out
    path.write_text(sample(failing_doc()).to_json(), encoding="utf-8")
    assert main(["--job-summary", str(path)]) == 0
    assert "`validation.errors`" in capsys.readouterr().out


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} absent (apt-get install chromium)")
def test_chromium_renders_a_png(tmp_path: Path) -> None:
    doc = copy.deepcopy(failing_doc())
    page = write_summary(tmp_path, sample(doc), [])
    out = screenshot(page, tmp_path / "summary.png", width=1280, height=900)
    assert out.is_file()
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000
