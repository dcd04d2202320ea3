"""A guarded session as a run makes it (its budget, its ledger subscribed to its events), for the
transport's selftests."""

from __future__ import annotations

from conformance.run.ledger import Ledger
from conformance.run.run import Run
from conformance.settings import Settings
from conformance.wire.session import GuardedSession


def guarded(settings: Settings) -> tuple[GuardedSession, Ledger]:
    run = Run("selftest")
    return run.start(settings).session, run.ledger
