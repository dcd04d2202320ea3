"""The suite's own command as a user meets it: its exit status is the suite's, its screen leads
with the start and ends with the verdict (no pytest header, no per-test blocks), a flag wins over
the environment, and a strict gate is never green with a rule off it was not told to accept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.embedded import EmbeddedKeys
from tests.selftest import suite_runner
from tests.selftest.suite_runner import ROOT, TEMPLATE, reference_server
from tooling.runs import child_env

KEYS = EmbeddedKeys("cc_cli_main_1a2b3c", "cc_cli_ro_1a2b3c", "cc_cli_b_1a2b3c", TEMPLATE)
COMMAND = str(Path(sys.executable).with_name("conformance"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBERS = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven", "eight")))


def every_key(url: str) -> dict[str, str]:
    return suite_runner.every_key(url, KEYS)


def conformance(tmp_path: Path, *args: str, **env: str) -> tuple[int, list[str]]:
    run = subprocess.run(
        [COMMAND, *args],
        cwd=ROOT,
        env=child_env(REPORTS_DIR=str(tmp_path), HISTORY_DB="off", **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run.returncode, run.stdout.splitlines()


def test_a_clean_run_is_a_short_screen_that_ends_with_its_verdict(tmp_path: Path) -> None:
    with reference_server(KEYS) as url:
        code, lines = conformance(tmp_path, "run", **every_key(url))
    assert code == 0, "\n".join(lines)
    assert len(lines) <= 25, "\n".join(lines)
    assert lines[0].startswith("conformance: target http://127.0.0.1:")
    assert not any("test session starts" in line or "passed in" in line for line in lines)
    assert lines[-1].startswith("CONFORMING: 0 rule(s) broken, 3 off, 0 not tested, ")
    assert (tmp_path / "pytest.log").read_text().count("PASSED") == 0  # pytest's output: the log
    assert "test session starts" in (tmp_path / "pytest.log").read_text()


def test_one_broken_rule_is_one_block_and_the_findings_verdict(tmp_path: Path) -> None:
    with reference_server(KEYS, "validation_path_generic") as url:
        code, lines = conformance(tmp_path, "run", **every_key(url))
    assert code == 1, "\n".join(lines)
    assert len(lines) <= 40, "\n".join(lines)
    assert [line.split(" (")[0] for line in lines if line.startswith("FAIL ")] == [
        "FAIL validation.errors"
    ]
    assert not any(line.startswith(("FAILED ", "Traceback", "____")) for line in lines)
    assert lines[-1].startswith("FINDINGS: 1 rule(s) broken, ")


def test_a_flag_wins_over_the_environment(tmp_path: Path) -> None:
    with reference_server(KEYS) as url:
        env = every_key("http://127.0.0.1:9")  # nothing listens there
        code, lines = conformance(tmp_path, "run", "--base-url", url, "--", "-m", "auth", **env)
    assert code == 0, "\n".join(lines)
    assert url in lines[0]


def test_a_strict_gate_with_rules_off_is_not_green_and_names_what_turns_them_on(
    tmp_path: Path,
) -> None:
    with reference_server(KEYS) as url:
        code, lines = conformance(tmp_path, "gate", BASE_URL=url, API_KEY=KEYS.api_key)
        off = next(line for line in lines if line.startswith("off: "))
        accepted = off.removeprefix("off: ").split(" (set ")[0].split(", ")
        ok, lenient = conformance(
            tmp_path, "gate", "--allow-off", ",".join(accepted), BASE_URL=url, API_KEY=KEYS.api_key
        )
        run, loose = conformance(tmp_path, "run", BASE_URL=url, API_KEY=KEYS.api_key)
    assert code == 10, "\n".join(lines)
    assert lines[-1].startswith("RULES OFF: 0 rule(s) broken, ")
    for variable in ("FORBIDDEN_API_KEY", "OTHER_API_KEY", "TEMPLATE_ID", "RATE_LIMIT"):
        assert variable in off, off
    assert "auth.tenant" in accepted and "auth.forbidden" in accepted
    assert ok == 0 and lenient[-1].startswith("CONFORMING: "), "\n".join(lenient)
    assert "(accepted)" in next(line for line in lenient if line.startswith("off: "))
    # The lenient run is green, but its verdict counts the rules off.
    assert run == 0 and f", {len(accepted)} off, " in loose[-1], loose[-1]
    # The README says how many are off for a gate given only a URL and a key.
    said = re.search(r"given only `base-url` and\s+`api-key`, (\w+) rules are off", README)
    assert said and said[1] == NUMBERS[len(accepted)], (said and said[0], accepted)


def test_a_rejected_input_is_named_next_to_the_verdict(tmp_path: Path) -> None:
    wrong = {**every_key(""), "TEMPLATE_ID": "0b0b0b0b-1c1c-4d4d-8e8e-2f2f2f2f2f2f"}
    with reference_server(KEYS) as url:
        code, lines = conformance(tmp_path, "run", **{**wrong, "BASE_URL": url})
    assert code == 8, "\n".join(lines)
    assert lines[-2].startswith("input: not runnable: TEMPLATE_ID was answered 404")
    assert lines[-1].startswith("SETUP ERROR: ")


def test_help_shows_the_defaults_and_an_example() -> None:
    out = subprocess.run([COMMAND, "gate", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "examples:" in out.stdout and "conformance run --base-url" in out.stdout
    assert "(default: 30; 50 at nightly)" in " ".join(out.stdout.split())


@pytest.mark.parametrize("command", ["run", "gate", "nightly", "plan", "history", "serve"])
def test_every_subcommand_answers_help(command: str) -> None:
    out = subprocess.run([COMMAND, command, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "usage: conformance " + command in out.stdout
