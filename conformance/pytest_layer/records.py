"""What a run leaves beyond its reports: exchanges.har, written as the run goes, and its record
in the history, whose warning line (if any) the terminal prints. Kept in the config's stash."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.reports import model as m
from conformance.reports.har import HarWriter
from conformance.reports.remember import attach, suite_version
from conformance.run.context import RunContext
from conformance.run.settings import Settings

HAR = pytest.StashKey[HarWriter]()
HISTORY_WARNING = pytest.StashKey[str]()


def start_har(config: pytest.Config, ctx: RunContext, directory: Path) -> HarWriter:
    """exchanges.har from the first request on: each test's exchanges go to it as it ends."""
    if HAR not in config.stash:
        writer = config.stash[HAR] = HarWriter(
            directory, ctx.secrets, ("carecycle-campaign-conformance", suite_version())
        )
        ctx.ledger.sink = writer.add
    return config.stash[HAR]


def finish_har(config: pytest.Config, ctx: RunContext, directory: Path) -> None:
    """Every exchange written and the file closed; a run that sent nothing writes an empty log."""
    ctx.ledger.flush()
    start_har(config, ctx, directory).close()


def remembering(
    config: pytest.Config, ctx: RunContext, settings: Settings
) -> Callable[[m.Report], m.Report]:
    """The step that records the built report in the history and attaches the comparison."""

    def remember(report: m.Report) -> m.Report:
        report, warning = attach(report, settings, ctx.ledger.elapsed, ctx.secrets(), os.environ)
        if warning:
            config.stash[HISTORY_WARNING] = warning
        return report

    return remember


def history_warning(config: pytest.Config) -> str | None:
    return config.stash.get(HISTORY_WARNING, None)
