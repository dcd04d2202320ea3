"""What the run says on the terminal while it works: the start, progress, from inside tests
(past pytest's capture, through the same redacting writer as everything else)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance.pytest_layer.cost import describe, estimate, findings_bound, upper_bound
from conformance.run.preflight import optional_checks
from conformance.run.settings import Settings
from conformance.wire.ledger import Ledger

PROGRESS_EVERY = 10.0


def say(config: pytest.Config, *lines: str) -> None:
    """Lines on the terminal from inside a test (past pytest's capture), redacted like the rest."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        if reporter._tw.width_of_current_line:  # mid-line among the dots
            reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


def announce(
    config: pytest.Config,
    settings: Settings,
    items: list[pytest.Item],
    rejected: dict[str, str] | None = None,
) -> int:
    """The start: what is tested, at what pace, with which optional checks, at what cost;
    returns the plan's bound on requests (findings included)."""
    target = settings.target_label
    pace = (
        f"paced at RATE_LIMIT={settings.rate_limit}/min"
        if settings.pace_interval
        else "not paced (no RATE_LIMIT)"
    )
    say(
        config,
        f"conformance: target {target}, {pace}, depth {settings.depth}, seed {settings.seed}",
        "optional: " + "; ".join(optional_checks(settings, rejected)),
        *(rejected or {}).values(),
        "planned cost (at most, before throttling):",
        *describe(estimate(items, settings), settings, findings_bound(items, settings)),
    )
    return upper_bound(items, settings)


def progress(config: pytest.Config, ledger: Ledger) -> Callable[[], None]:
    """A line at least every 10 s during long tests (a paced run, the property tests)."""
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        test = ledger.current_test.split("::", 1)[-1]
        say(
            config,
            f"  ... {ledger.sent} requests, {now - ledger.started:.0f} s elapsed, in {test}",
        )

    return tick
