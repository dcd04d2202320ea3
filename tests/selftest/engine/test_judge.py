"""Judging recorded traffic: a live run's exchanges.har judged gives the live run's verdict and
broken rules; an independent client's traffic (Schemathesis's HAR) is judged at 0 findings on a
conforming server and shows a planted defect by its own rule; recorded order is not send order;
keys' roles come from the configured keys and are never printed; a file that is not HAR, or holds
no exchange to the path, is a one-line stop; hostile bodies never crash it; it sends nothing."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from conformance.judge.judge import Config, judge_file
from refserver.app import RefApp
from refserver.config import ServerConfig
from refserver.hosting import in_thread
from refserver.seed import Settings as ServerKeys
from tests.selftest.suite_runner import ROOT, run_suite
from tooling.runs import child_env

COMMAND = str(Path(sys.executable).with_name("conformance"))


def judge(har: Path, reports: Path, **env: str) -> tuple[int, list[str]]:
    run = subprocess.run(
        [COMMAND, "judge", str(har)],
        cwd=ROOT,
        env=child_env(REPORTS_DIR=str(reports), HISTORY_DB="off", **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr
    return run.returncode, run.stdout.splitlines()


def broken(reports: Path) -> set[str]:
    data = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    return {r["rule"] for r in data["rules"] if r["verdict"] == "failed"}


@pytest.mark.parametrize(
    "defect",
    ["", "name_trimmed", "validation_path_generic", "tags_nonempty", "client_id_shared",
     "unauthorized_code_wrong", "id_reused"],
)  # fmt: skip
def test_a_live_runs_har_judged_gives_the_live_verdict(tmp_path: Path, defect: str) -> None:
    live = run_suite(tmp_path / "live", HISTORY_DB="off", REFSERVER_DEFECT=defect)
    code, lines = judge(tmp_path / "live" / "exchanges.har", tmp_path / "judged")
    assert code == live.code, "\n".join(lines)
    assert broken(tmp_path / "judged") == broken(tmp_path / "live"), "\n".join(lines)
    assert "nothing sent" in lines[0]


def schemathesis_har(tmp_path: Path, defect: str) -> tuple[Path, str]:
    """Plain Schemathesis against a reference server, its traffic recorded as HAR, keys in
    clear (its default masks them: see the masked-key test)."""
    keys = ServerKeys(key="cc_st_recorder_9a8b7c")
    app = RefApp(ServerConfig(defect, "", keys, 0, 60.0))
    har = tmp_path / "schemathesis.har"
    with in_thread(app, "uvicorn") as url:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")), "run",
                str(ROOT / "openapi" / "campaigns.yaml"), "--url", url,
                "-H", f"x-api-key: {keys.key}", "-n", "30", "--seed", "1", "--checks", "all",
                "--report", "har", "--report-har-path", str(har), "--output-sanitize", "false",
            ],
            env={**os.environ, "HOME": tempfile.mkdtemp()},
            capture_output=True,
            timeout=300,
        )  # fmt: skip
    return har, keys.key


@pytest.mark.parametrize(
    ("defect", "rule"),
    [("", None), ("status_active", "semantic.draft"), ("json_utf16", "response.utf-8"),
     ("unauthorized_code_wrong", "response.error-code")],
)  # fmt: skip
def test_an_independent_clients_traffic_is_judged(
    tmp_path: Path, defect: str, rule: str | None
) -> None:
    har, key = schemathesis_har(tmp_path, defect)
    code, lines = judge(har, tmp_path / "judged", API_KEY=key)
    found = broken(tmp_path / "judged")
    assert found == ({rule} if rule else set()), "\n".join(lines)
    assert code == (1 if rule else 0)
    everything = "\n".join(lines) + "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "judged").iterdir()
    )
    assert key not in everything and key.removeprefix("cc_") not in everything


def _entry(at: str, status: int, key: str = "cc_main_key_1") -> dict[str, Any]:
    body = {"message": "x", "code": "RATE_LIMIT_EXCEEDED", "retryAfter": 1} if status == 429 else {}
    return {
        "startedDateTime": at,
        "time": 5,
        "request": {
            "method": "POST",
            "url": "http://api.test/v2/campaigns",
            "headers": [{"name": "x-api-key", "value": key}, {"name": "Content-Type", "value": "application/json"}],
            "postData": {"mimeType": "application/json", "text": '{"name": "cct-x", "templateId": "no"}'},
        },
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"mimeType": "application/json", "text": json.dumps(body or {"message": "Template not found", "code": "NOT_FOUND"})},
        },
    }  # fmt: skip


def _har(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "t", "version": "1"},
                    "entries": entries,
                }
            }
        )
    )
    return path  # fmt: skip


def test_recorded_order_is_not_send_order(tmp_path: Path) -> None:
    """Three served, then a 429, with a limit of 3 in 10 s: the file lists the 429 first (its
    answer finished first); sorted by startedDateTime, nothing is wrong. Refused after two: the
    limit is broken."""
    times = [f"2026-12-07T10:00:{s:02d}.000Z" for s in (0, 1, 2, 3, 11)]
    good = [_entry(times[4], 404), _entry(times[3], 429), *(_entry(t, 404) for t in times[:3])]
    early = [_entry(times[0], 404), _entry(times[1], 404), _entry(times[2], 429)]
    config = Config({"API_KEY": "cc_main_key_1"}, rate_limit=3, rate_window=10.0)
    ok = judge_file(_har(tmp_path / "good.har", good), config)
    assert not [f for r in ok.results for f in r.findings]
    # The file does not hold a whole window before the early 429: nothing to judge it by.
    assert not [
        f for r in judge_file(_har(tmp_path / "e.har", early), config).results for f in r.findings
    ]
    early = [_entry("2026-12-07T09:59:40.000Z", 404), *early]  # the window before it is in the file
    bad = judge_file(_har(tmp_path / "early.har", early), config)
    assert [f.rule for r in bad.results for f in r.findings] == ["rate.limit"]


def test_an_unknown_or_forbidden_key_is_judged_by_its_role(tmp_path: Path) -> None:
    entries = [_entry("2026-12-07T10:00:00.000Z", 404, key="cc_someone_else_5")]
    entries.append(_entry("2026-12-07T10:00:01.000Z", 404, key="cc_read_only_key_2"))
    code, lines = judge(
        _har(tmp_path / "roles.har", entries), tmp_path / "judged",
        API_KEY="cc_main_key_1", FORBIDDEN_API_KEY="cc_read_only_key_2",
    )  # fmt: skip
    assert code == 1
    assert broken(tmp_path / "judged") == {"auth.unauthorized", "auth.forbidden"}, lines
    text = "\n".join(lines) + (tmp_path / "judged" / "conformance.md").read_text()
    assert "cc_read_only_key_2" not in text and "cc_someone_else_5" not in text


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('{"log": {"version": "1.2", "entries": [{}]}}', "holds no exchange to POST /v2/campaigns"),
        ('{"log": {"version": "1.2", "pages": []}}', "log holds no entries"),
        ('{"log": {"version": "0.9", "entries": []}}', "not HAR 1.2"),
        ("<html>not json</html>", "not a HAR file"),
    ],
)
def test_a_file_that_is_not_har_or_holds_no_exchange_is_a_one_line_stop(
    tmp_path: Path, content: str, said: str
) -> None:
    (tmp_path / "f.har").write_text(content)
    code, lines = judge(tmp_path / "f.har", tmp_path / "judged")
    assert code == 8 and len(lines) == 1 and said in lines[0], lines


def test_hostile_bodies_are_judged_never_crash(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    bodies = ['{"campaign": ', deep, "x" * 3_000_000, '{"campaign": "\\ud800"}']
    entries = []
    for n, text in enumerate(bodies):
        entry = _entry(f"2026-12-07T10:00:0{n}.000Z", 201)
        entry["request"]["postData"]["text"] = '{"name": "cct-x"}'
        entry["response"]["content"]["text"] = text
        entries.append(entry)
    code, lines = judge(
        _har(tmp_path / "h.har", entries), tmp_path / "judged", API_KEY="cc_main_key_1"
    )
    assert code == 1, lines
    assert broken(tmp_path / "judged") == {"response.documented"}


SENDS_NOTHING = """
import sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        raise SystemExit(f"judge tried to connect: {args}")
sys.addaudithook(refuse)
from cli.main import main
sys.exit(main(["judge", sys.argv[1]]))
"""


def test_judging_sends_nothing(tmp_path: Path) -> None:
    live = run_suite(tmp_path / "live", "-m", "auth", HISTORY_DB="off")
    assert live.code == 0
    run = subprocess.run(
        [sys.executable, "-c", SENDS_NOTHING, str(tmp_path / "live" / "exchanges.har")],
        cwd=ROOT,
        env=child_env(REPORTS_DIR=str(tmp_path / "judged"), HISTORY_DB="off"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "tried to connect" not in run.stdout + run.stderr


def test_history_records_a_judged_file_and_coverage_names_what_is_missing(tmp_path: Path) -> None:
    entries = [_entry("2026-12-07T10:00:00.000Z", 404)]
    db = tmp_path / "history.db"
    run = subprocess.run(
        [COMMAND, "judge", str(_har(tmp_path / "one.har", entries))],
        cwd=ROOT,
        env=child_env(REPORTS_DIR=str(tmp_path / "judged"), HISTORY_DB=str(db), API_KEY="cc_main_key_1",
                      TEMPLATE_ID="tpl_known"),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT target, depth, requests FROM runs").fetchall()
    assert rows == [("recorded traffic one.har", "judge", 0)]
    coverage = (tmp_path / "judged" / "coverage.md").read_text(encoding="utf-8")
    assert "template.not-found                 judged on 1 exchange(s)" in coverage
    assert (
        "semantic.echo" in coverage
        and "not in this traffic (a live run sends a created" in coverage
    )


def test_a_browsers_export_is_read(tmp_path: Path) -> None:
    """A browser's HAR: pages, lowercase (HTTP/2) header names, a base64 response body."""
    entry = _entry("2026-12-07T10:00:00.000+01:00", 404)
    entry["pageref"], entry["_initiator"] = "page_1", {"type": "script"}
    for side in ("request", "response"):
        for header in entry[side]["headers"]:
            header["name"] = header["name"].lower()
    content = entry["response"]["content"]
    content["text"] = base64.b64encode(b'{"message": "nope", "code": "BAD"}').decode()
    content["encoding"] = "base64"
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"id": "page_1", "title": "app"}], "entries": [entry]}}  # fmt: skip
    (tmp_path / "browser.har").write_text(json.dumps(har))
    code, lines = judge(tmp_path / "browser.har", tmp_path / "judged", API_KEY="cc_main_key_1")
    assert code == 1, lines
    assert broken(tmp_path / "judged") == {"response.error-code"}, lines


def test_an_exception_of_ours_is_a_suite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.judge import command

    def broken_judge(path: Path, config: Config) -> None:
        raise KeyError("our own bug")

    monkeypatch.setattr(command, "judge_file", broken_judge)
    har = _har(tmp_path / "one.har", [_entry("2026-12-07T10:00:00.000Z", 404)])
    env = {"REPORTS_DIR": str(tmp_path / "judged"), "HISTORY_DB": "off"}
    assert command.judge(str(har), env) == 9
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("SUITE ERROR judging") and "exit status 9" in out[1]
    assert "KeyError" in (tmp_path / "judged" / "suite-error.txt").read_text(encoding="utf-8")


def test_coverage_that_cannot_be_written_is_a_suite_error_and_the_rest_is_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "judged" / "coverage.md").mkdir(parents=True)  # a directory where the file goes
    har = _har(tmp_path / "one.har", [_entry("2026-12-07T10:00:00.000Z", 404)])
    code, lines = judge(har, tmp_path / "judged", API_KEY="cc_main_key_1")
    assert code == 9, lines
    assert any("writing coverage.md" in line for line in lines), lines
    assert (tmp_path / "judged" / "conformance.json").is_file()
