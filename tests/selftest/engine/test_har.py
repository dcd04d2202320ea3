"""exchanges.har fed a recorded list of the run's events (no server, no run): HAR 1.2 by a
maintained package's model, entries in order with their test, key role and rules, every form of
a key masked in the URL, the headers and both bodies, and a body bounded."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

from hario_core.models.har_1_2 import HarLog
from requests.structures import CaseInsensitiveDict

from conformance.findings import Finding, Kind
from conformance.reports.har import BODY_LIMIT, HarWriter
from conformance.run.events import Event, RunEnding, TestFinished
from conformance.run.ledger import Taken
from conformance.run.outcomes import TestResult
from conformance.wire.exchange import Exchange

KEY = "cc_live_har_0123456789abcdef"


def _exchange(test: str, body: bytes, response: bytes, **headers: str) -> Exchange:
    return Exchange(
        method="POST",
        url=f"http://127.0.0.1:9/v2/campaigns?debug={quote(KEY)}",
        request_headers={"x-api-key": "***", "Content-Type": "application/json"},
        request_body=body,
        status=201,
        response_headers=CaseInsensitiveDict({"content-type": "application/json", **headers}),
        response_body=response,
        elapsed=0.012,
        test=test,
        key_var=None if test.endswith("_2") else "API_KEY",
    )


def _events(exchanges: list[Exchange], broken: dict[int, str] | None = None) -> list[Event]:
    """What a run publishes for these exchanges: each test's end, then the run's."""
    events: list[Event] = []
    for n, ex in enumerate(exchanges):
        rule = (broken or {}).get(n)
        findings = (Finding(rule, ("broke",), ex),) if rule else ()
        kind = Kind.FAILED if rule else Kind.PASSED
        result = TestResult(ex.test, ("semantic.echo",), kind, findings)
        events.append(TestFinished(result, (Taken(ex, frozenset({"semantic.echo"})),)))
    return [*events, RunEnding()]


def _write(tmp_path: Path, exchanges: list[Exchange], broken: dict[int, str] | None = None) -> dict:
    writer = HarWriter(tmp_path, lambda: [KEY], ("suite", "0.1.0"))
    for event in _events(exchanges, broken):
        writer(event)
    return json.loads(writer.path.read_text(encoding="utf-8"))


def test_entries_are_har_1_2_in_order_with_test_and_rules(tmp_path: Path) -> None:
    exchanges = [_exchange(f"tests/conformance/t.py::test_{i}", b"{}", b"{}") for i in range(3)]
    har = _write(tmp_path, exchanges, {1: "semantic.draft"})
    log = HarLog.model_validate(har["log"])
    assert log.version == "1.2" and len(log.entries) == 3
    entries = har["log"]["entries"]
    assert [e["_test"] for e in entries] == [e.test for e in exchanges]
    assert entries[1]["_rules"] == ["semantic.draft", "semantic.echo"]
    assert entries[1]["_broken"] == ["semantic.draft"]
    assert entries[0]["response"]["statusText"] == "Created"
    assert entries[0]["timings"]["wait"] == entries[0]["time"] == 12.0
    # The key's role, never the key: the variable that holds it, absent for a masked unknown.
    assert [e.get("_key_role") for e in entries] == ["API_KEY", "API_KEY", "unknown"]


def test_every_form_of_the_key_is_masked_everywhere(tmp_path: Path) -> None:
    forms = [
        KEY,
        KEY.upper(),
        KEY.removeprefix("cc_"),
        quote(KEY),
        base64.b64encode(KEY.encode()).decode(),
    ]
    body = json.dumps({"name": " ".join(forms)}).encode()
    ex = _exchange("t::a", body, body, **{"x-echo-key": KEY, "set-cookie": f"k={KEY}"})
    _write(tmp_path, [ex])
    text = (tmp_path / "exchanges.har").read_text(encoding="utf-8")
    for form in forms:
        assert form not in text, form
    assert KEY.removeprefix("cc_") not in text.lower()
    assert "***" in text


def test_a_large_body_is_cut_and_says_so(tmp_path: Path) -> None:
    big = b'{"x": "' + b"a" * (3 * BODY_LIMIT) + b'"}'
    undecodable = b"\xff\xfe" * 10
    har = _write(tmp_path, [_exchange("t::big", big, undecodable)])
    entry = har["log"]["entries"][0]
    post = entry["request"]["postData"]
    assert len(post["text"]) == BODY_LIMIT and post["_truncated"] == len(big)
    content = entry["response"]["content"]
    assert content["encoding"] == "base64" and base64.b64decode(content["text"]) == undecodable
    assert "_truncated" not in content


def test_a_run_that_sent_nothing_writes_an_empty_log(tmp_path: Path) -> None:
    writer = HarWriter(tmp_path, list, ("suite", "0"))
    writer(RunEnding())
    har = json.loads(writer.path.read_text("utf-8"))
    assert HarLog.model_validate(har["log"]).entries == []
