"""A setup stop is one line of ours at the end (`stopped: ...`), not pytest's
`! _pytest.outcomes.Exit: ... !` banner for an interrupted session (the plugin stops the run
with `pytest.exit`, which pytest reports as an interruption)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.pytest_layer.plugin import RUN

_STATE: dict[str, Any] = {"reporter": None, "line": ""}


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    _STATE["reporter"] = config.pluginmanager.get_plugin("terminalreporter")


@pytest.hookimpl(wrapper=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> Iterator[None]:
    result = yield
    reporter = _STATE["reporter"]
    if RUN.setup_error and isinstance(excinfo.value, pytest.exit.Exception) and reporter:
        # pytest's reporter prints this memo at unconfigure; ours is printed instead.
        reporter._keyboardinterrupt_memo = None
        _STATE["line"] = f"stopped: {RUN.setup_error}"
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    reporter, line = _STATE["reporter"], _STATE["line"]
    if reporter is not None and line:
        reporter.write_line(line)  # through the redacting writer, like every line
