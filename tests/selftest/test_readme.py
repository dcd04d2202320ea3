"""The README's figures are the commands' own: the cost table is what `conformance plan` prints
at each depth, the screen copies are the lines `make screens` wrote into docs/, and every file
it links exists (how many rules a gate without optional inputs has off: tests/selftest/test_cli.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.selftest.suite_runner import ROOT
from tooling.runs import child_env

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMAND = str(Path(sys.executable).with_name("conformance"))


def planned(*flags: str) -> tuple[int, int]:
    out = subprocess.run(
        [COMMAND, "plan", *flags],
        cwd=ROOT,
        env=child_env(HISTORY_DB="off"),
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    found = re.search(r"total\s+(\d+) requests\s+(\d+) campaigns", out)
    assert found, out[-2000:]
    return int(found[1]), int(found[2])


def test_the_cost_table_is_the_plans() -> None:
    for row, flags in (
        ("`make test` / `make gate`", ()),
        ("`make nightly`", ("--depth", "nightly")),
    ):
        line = next(line for line in README.splitlines() if line.startswith(f"| {row} |"))
        figures = tuple(int(n) for n in re.findall(r"at most (\d+)", line))
        assert figures == planned(*flags), line


def test_the_screen_copies_are_what_make_screens_wrote() -> None:
    for name in ("terminal-clean.txt", "terminal-one-broken-rule.txt"):
        copy = (ROOT / "docs" / name).read_text(encoding="utf-8").splitlines()
        verdict = copy[-1]
        assert verdict.startswith(("CONFORMING:", "FINDINGS:")), verdict
        assert verdict in README, f"README does not show {name}'s verdict line: {verdict}"
    broken = (ROOT / "docs" / "terminal-one-broken-rule.txt").read_text(encoding="utf-8")
    first = next(line for line in broken.splitlines() if line.startswith("FAIL "))
    assert first in README


def test_every_linked_file_exists() -> None:
    for target in re.findall(r"\]\(((?:docs/)[^)#]+)\)", README):
        assert (ROOT / target).is_file(), target
