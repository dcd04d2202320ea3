"""One run's state in one object, passed explicitly: the pytest layer keeps it in the config's
stash and hands it to fixtures and hooks; nothing of a run lives in a module."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.checks.semantic import RunMemory
from conformance.run.baseline import Accepted
from conformance.run.outcomes import TestResult
from conformance.run.settings import Settings
from conformance.wire.api import Api
from conformance.wire.exchange import Exchange
from conformance.wire.ledger import Ledger

if TYPE_CHECKING:
    from conformance.reports.ending import EndError
    from conformance.reports.model import Report


@dataclass
class RunContext:
    run_id: str
    settings: Settings | None = None
    ledger: Ledger = field(default_factory=Ledger)
    memory: RunMemory = field(default_factory=RunMemory)
    # Whatever the run started (a harness's target) is closed with it.
    stack: ExitStack = field(default_factory=ExitStack)
    results: list[TestResult] = field(default_factory=list)
    stopped: str = ""  # why the rest of the run is not tested
    setup_error: str = ""
    accepted: Accepted = field(default_factory=Accepted)
    api: Api | None = None
    # The preflight's template probe (a campaign), for the template check to judge: no request
    # is sent twice.
    template_probe: tuple[dict[str, Any], Exchange] | None = None
    started: float = field(default_factory=time.time)
    # Every key given, valid configuration or not: a stop message must not leak one either.
    given_secrets: list[str] = field(default_factory=list)
    report: Report | None = None  # the built report, once written
    planned_at_most: int | None = None  # the plan's bound on requests, findings included
    # End-of-run steps of ours that failed (a report not written): suite errors, one line each.
    end_errors: list[EndError] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """A conformance run (a target was asked for, or the run stopped trying)."""
        return self.settings is not None or bool(self.setup_error)

    def secrets(self) -> list[str]:
        own = self.settings.secrets() if self.settings else []
        return own + self.given_secrets
