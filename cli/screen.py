"""A run of the suite under the command: pytest in this process with the run's environment, its
own output kept in `$REPORTS_DIR/pytest.log`, and the run's screen drawn on the terminal (the
engine's `pytest_conformance_screen` hook): no pytest header, no per-test blocks, no traceback."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import pytest

from conformance.settings import ROOT
from tooling.runs import environment

SUITE = (
    str(ROOT / "tests" / "conformance"),
    "--rootdir",
    str(ROOT),
    "-c",
    str(ROOT / "pyproject.toml"),
)
LOG = "pytest.log"


class Screen:
    """A pytest plugin: the run's screen goes to `stream` (the terminal as the command found it)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    @pytest.hookimpl
    def pytest_conformance_screen(self, config: pytest.Config) -> Callable[[str], None]:
        return self.write


def run_suite(env: Mapping[str, str], pytest_args: Sequence[str], verbose: bool = False) -> int:
    """The suite's exit status. The screen writes to a copy of the terminal's descriptor, which
    pytest's capture of descriptor 1 does not touch."""
    reports = Path(env.get("REPORTS_DIR", "").strip() or ROOT / "reports")
    reports.mkdir(parents=True, exist_ok=True)
    terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", errors="replace")
    args = [*SUITE, "-p", "no:cacheprovider", *pytest_args]
    with terminal, environment(env):
        screen = Screen(terminal)
        if verbose:
            return int(pytest.main(args, plugins=[screen]))
        with (
            (reports / LOG).open("w", encoding="utf-8") as log,
            contextlib.redirect_stdout(log),
            contextlib.redirect_stderr(log),
        ):
            code = int(pytest.main(args, plugins=[screen]))
        if code in (2, 3, 4, 5):  # pytest's own: what it said is in the log, not on the screen
            screen.write(_pytest_said(reports / LOG, code))
        return code


def _pytest_said(log: Path, code: int) -> str:
    """pytest's own stop, for the screen: its error lines, else where its output is."""
    text = log.read_text(encoding="utf-8", errors="replace")
    errors = [line for line in text.splitlines() if line.startswith(("ERROR", "E  ", "  /"))]
    head = "; ".join(errors[:6]) if errors else "see the log"
    return f"pytest stopped (exit status {code}): {head[:1500]} ({log})"
