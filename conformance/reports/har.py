"""exchanges.har: every exchange of the run, in order, as HAR 1.2 (browser developer tools and
HAR viewers open it), each entry naming the test that sent it (`_test`), the role of the key it
sent (`_key_role`: the variable that holds it, `unknown` for a made-up key, absent for none),
the rules judged on it (`_rules`) and those found broken on it (`_broken`). A subscriber of the
run's events: entries are streamed to disk as each test ends, so a nightly of a thousand
requests holds no more than one test's exchanges; every form of every key is masked, in the
URL, the headers and the bodies, and a body is kept to `BODY_LIMIT` bytes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks.context import UNKNOWN_KEY, Expectation
from conformance.run.events import Event, RunEnding, TestFinished
from conformance.run.ledger import Taken
from conformance.wire.exchange import Exchange
from conformance.wire.redact import redact, redact_headers
from conformance.wire.semantics import header

HAR_FILE = "exchanges.har"
# A body is cut here (after masking, so no key is ever half-cut and left readable).
BODY_LIMIT = 64 * 1024


def _iso(seconds: float) -> str:
    millis = int(round((seconds % 1) * 1000)) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _body(raw: bytes | None, secrets: list[str]) -> dict[str, Any]:
    """{"text": ..., ("encoding": "base64")?, ("_truncated": size)?} for a body."""
    raw = raw or b""
    try:
        text, encoding = raw.decode("utf-8"), None
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    text = redact(text, secrets)
    out: dict[str, Any] = {"text": text[:BODY_LIMIT]}
    if encoding:
        out["encoding"] = encoding
    if len(text) > BODY_LIMIT:
        out["_truncated"] = len(raw)  # the size it had; the text holds its first BODY_LIMIT
    return out


def _headers(headers: Any) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in redact_headers(dict(headers)).items()]


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def entry(
    exchange: Exchange,
    rules: frozenset[str],
    broken: frozenset[str],
    secrets: list[str],
    expect: Expectation | None = None,
) -> dict[str, Any]:
    """One HAR 1.2 entry for an exchange (keys not yet masked in the URL: see `HarWriter`)."""
    millis = round(exchange.elapsed * 1000, 3)
    request_type = next(
        (v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), ""
    )
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [
            {"name": k, "value": v}
            for k, v in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(exchange.request_body or b""),
    }
    if exchange.request_body is not None:
        body = _body(exchange.request_body, secrets)
        body.pop("encoding", None)  # postData has no encoding field: the text is what was sent
        request["postData"] = {"mimeType": request_type, **body}
    role = exchange.key_var or (UNKNOWN_KEY if header(exchange.request_headers, "x-api-key") else None)
    out = {
        "startedDateTime": _iso(exchange.sent_at or time.time()),
        "time": millis,
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": _status_text(exchange.status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": {
                "size": len(exchange.response_body),
                "mimeType": exchange.header("content-type") or "",
                **_body(exchange.response_body, secrets),
            },
            "redirectURL": exchange.header("location") or "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "_test": exchange.test,
        "_rules": sorted(rules | broken),
        "_broken": sorted(broken),
    }
    if role is not None:
        out["_key_role"] = role
    if expect is not None:  # what the case expected: judging the file later reads it
        out["_expect"] = expect.record()
    return out


class HarWriter:
    """exchanges.har, written as the run goes: the log's head at once, the entries of each test
    when it ends, the rest and the tail when the run ends. Each entry is serialised, then masked
    as a whole."""

    def __init__(
        self, directory: Path, secrets: Callable[[], list[str]], creator: tuple[str, str]
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / HAR_FILE
        self._secrets = secrets
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        self.entries = 0
        head = {"version": "1.2", "creator": {"name": creator[0], "version": creator[1]}}
        self._file.write('{"log": ' + json.dumps(head)[:-1] + ', "pages": [], "entries": [\n')

    def __call__(self, event: Event) -> None:
        if isinstance(event, TestFinished):
            broken: dict[int, set[str]] = {}
            for finding in event.result.findings:
                if finding.exchange is not None:
                    broken.setdefault(id(finding.exchange), set()).add(finding.rule)
            for taken in event.exchanges:
                self.add(taken, frozenset(broken.get(id(taken.exchange), ())))
        elif isinstance(event, RunEnding):
            for taken in event.exchanges:
                self.add(taken, frozenset())
            self.close()

    def add(self, taken: Taken, broken: frozenset[str]) -> None:
        if self._file is None:
            return
        secrets = self._secrets()
        record = entry(taken.exchange, taken.rules, broken, secrets, taken.expect)
        line = json.dumps(record, ensure_ascii=False)
        self._file.write((",\n" if self.entries else "") + redact(line, secrets))
        self.entries += 1

    def close(self) -> Path:
        if self._file is not None:
            self._file.write("\n]}}\n")
            self._file.close()
            self._file = None
        return self.path
