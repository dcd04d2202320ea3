"""A setup stop is one line of ours at the end (`stopped: ...`), not pytest's
`! _pytest.outcomes.Exit: ... !` banner for an interrupted session (the plugin stops the run
with `pytest.exit`, which pytest reports as an interruption)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.pytest_layer.start import run_of


class StopLine:
    """Registered per run: its state is the run's, not a module's."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.line = ""

    @pytest.hookimpl(wrapper=True)
    def pytest_keyboard_interrupt(
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> Iterator[None]:
        result = yield
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        run = run_of(self.config)
        stop = run.setup_error
        if (
            stop
            and not run.screen
            and isinstance(excinfo.value, pytest.exit.Exception)
            and reporter is not None
        ):
            # pytest's reporter prints this memo at unconfigure; ours is printed instead.
            reporter._keyboardinterrupt_memo = None
            self.line = f"stopped: {stop}"
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.line:
            reporter.write_line(self.line)  # through the redacting writer, like every line


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(StopLine(config), "conformance-stopline")
