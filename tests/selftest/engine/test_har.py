"""exchanges.har from hand-made exchanges (no server): HAR 1.2 by a maintained package's model,
entries in order with their test and rules, every form of a key masked in the URL, the headers
and both bodies, and a body bounded."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

from hario_core.models.har_1_2 import HarLog
from requests.structures import CaseInsensitiveDict

from conformance.reports.har import BODY_LIMIT, HarWriter
from conformance.wire.exchange import Exchange
from conformance.wire.ledger import Ledger

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
        judged={"semantic.echo"},
    )


def _write(tmp_path: Path, exchanges: list[Exchange]) -> dict:
    writer = HarWriter(tmp_path, lambda: [KEY], ("suite", "0.1.0"))
    ledger = Ledger(sink=writer.add)
    for ex in exchanges:
        ledger.begin(ex.test)
        ledger.record(ex)
    ledger.flush()
    path = writer.close()
    return json.loads(path.read_text(encoding="utf-8"))


def test_entries_are_har_1_2_in_order_with_test_and_rules(tmp_path: Path) -> None:
    exchanges = [_exchange(f"tests/conformance/t.py::test_{i}", b"{}", b"{}") for i in range(3)]
    exchanges[1].broken.add("semantic.draft")
    har = _write(tmp_path, exchanges)
    log = HarLog.model_validate(har["log"])
    assert log.version == "1.2" and len(log.entries) == 3
    entries = har["log"]["entries"]
    assert [e["_test"] for e in entries] == [e.test for e in exchanges]
    assert entries[1]["_rules"] == ["semantic.draft", "semantic.echo"]
    assert entries[1]["_broken"] == ["semantic.draft"]
    assert entries[0]["response"]["statusText"] == "Created"
    assert entries[0]["timings"]["wait"] == entries[0]["time"] == 12.0


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
    har = json.loads(HarWriter(tmp_path, list, ("suite", "0")).close().read_text("utf-8"))
    assert HarLog.model_validate(har["log"]).entries == []
