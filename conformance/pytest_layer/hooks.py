"""Hooks the engine calls and a harness may implement: how a target comes to exist.

The engine tests whatever `BASE_URL` names. A harness (see `harness/plugin.py`) may offer a
target of its own when none is named, and a sibling with a known rate limit; the engine never
knows what that target is.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pluggy

from conformance.settings import Settings

hookspec = pluggy.HookspecMarker("pytest")


@hookspec(firstresult=True)
def pytest_conformance_target(settings: Settings, stack: ExitStack) -> Settings | None:
    """Start a target for a run that names none; settings naming it (keys included), or None.
    What was started is closed with `stack`."""


@hookspec(firstresult=True)
def pytest_conformance_limited_target(settings: Settings, stack: ExitStack) -> Settings | None:
    """A sibling of a harness's target that enforces a known rate limit, or None."""


@hookspec
def pytest_conformance_rule_ids(config: object) -> list[tuple[str, str]]:  # type: ignore[empty-body]
    """Rule ids a harness names (its planted defects), as (rule id, where), for the collection
    to validate with the engine's own."""


@hookspec
def pytest_conformance_subscribe(run: object) -> None:
    """The run is made: a plugin may subscribe to its events (`run.events.subscribe`) to follow
    it as it goes (the mutation check ends a defect's run once every rule it breaks has failed:
    `run.request_stop`)."""


@hookspec(firstresult=True)
def pytest_conformance_reproduce_note(settings: Settings) -> str | None:
    """For a target that is gone after the run (one a harness started): how to bring it back, so the
    reproduce lines can be replayed."""


@hookspec(firstresult=True)
def pytest_conformance_screen(config: object) -> Callable[[str], None] | None:
    """Where the run's screen goes, line by line, when a front end draws it (the suite's own
    command, which keeps pytest's own output in a log): None for pytest's terminal."""
