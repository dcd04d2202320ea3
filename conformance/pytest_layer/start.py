"""The start of a run: its target (named, or a harness's), the baseline, the preflight and the
vetting, the plan, and the start block; a setup stop is one line and the run's end."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from conformance.findings import NotTested, TransportFault
from conformance.pytest_layer.cost import run_plan
from conformance.reports.har import HarWriter
from conformance.reports.remember import suite_version
from conformance.run import outcomes
from conformance.run.baseline import Accepted
from conformance.run.events import RunStarted
from conformance.run.preflight import PreflightError, PreflightThrottled, preflight, vet_optional
from conformance.run.run import SETUP, Run
from conformance.settings import ConfigError, Settings
from conformance.wire.redact import redact

RUN = pytest.StashKey[Run]()
ITEMS = pytest.StashKey[list[pytest.Item]]()


def run_of(config: pytest.Config) -> Run:
    return config.stash[RUN]


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


def stop(run: Run, message: str, status: int) -> NoReturn:
    run.setup_error = redact(message, run.secrets())
    pytest.exit(run.setup_error, returncode=status)


def _settings(config: pytest.Config, run: Run) -> Settings:
    try:
        settings = Settings.from_env(run_id=run.run_id)
    except ConfigError as exc:
        stop(run, f"configuration error: {exc}", outcomes.SETUP_ERROR)
    if settings.needs_target:
        try:
            started = config.hook.pytest_conformance_target(settings=settings, stack=run.stack)
        except RuntimeError as exc:
            stop(run, f"the suite's own target failed to start: {exc}", outcomes.SETUP_ERROR)
        if started is None:
            stop(run, "configuration error: BASE_URL is required", outcomes.SETUP_ERROR)
        settings = started
    try:
        run.accepted = Accepted.load(settings.baseline)
    except ValueError as exc:
        stop(run, f"baseline {settings.baseline}: {exc}", outcomes.SETUP_ERROR)
    return settings


def start(config: pytest.Config, run: Run) -> None:
    """The target up, vetted and planned; the start block said."""
    settings = _settings(config, run)
    api = run.start(settings)
    creator = ("carecycle-campaign-conformance", suite_version())
    run.events.subscribe(HarWriter(settings.reports_dir, run.secrets, creator))
    try:
        # The run's own requests, before the first test's (which asked for the target).
        with run.filed_under(SETUP):
            preflight(api)
            if settings.vet_inputs:
                run.template_probe = vet_optional(api)
    except PreflightThrottled as exc:
        stop(run, f"preflight: {exc}", outcomes.NOT_TESTED)
    except (PreflightError, TransportFault, NotTested) as exc:
        stop(run, f"preflight: {exc}", outcomes.SETUP_ERROR)
    items = config.stash[ITEMS]
    run.plan = run_plan(items, settings, run.allowance.campaigns)
    limited = [i.nodeid for i in items if i.get_closest_marker("rate_limit")]
    if limited and api.session.pacer is not None:
        run.proof_for = limited[0]  # the proof from the first window of a paced target
    run.events.publish(RunStarted(tuple(start_block(run, settings))))


def start_block(run: Run, settings: Settings) -> list[str]:
    """What is tested, at what pace, with which optional checks, at what cost."""
    assert run.plan is not None
    pace = (
        f"paced at RATE_LIMIT={settings.rate_limit}/min"
        if settings.pace_interval
        else "not paced (no RATE_LIMIT)"
    )
    return [
        f"conformance: target {settings.target_label}, {pace}, depth {settings.depth}, "
        f"seed {settings.seed}",
        "optional: " + "; ".join(run.inputs.lines()),
        *run.inputs.rejected.values(),
        "planned cost (at most, before throttling):",
        *run.plan.describe(settings),
    ]


def print_plan(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--collect-only`: the plan of these tests, with nothing sent."""
    run = run_of(config)
    try:
        settings = Settings.from_env(run_id=run.run_id)
    except ConfigError:
        return
    plan = run_plan(items, settings, run.allowance.campaigns)
    print("planned cost per part (requests and campaigns at most, before throttling):")
    print("\n".join(plan.describe(settings)))


def reports_dir(run: Run) -> Path:
    return (run.settings or Settings.reports_only()).reports_dir


__all__ = ["ITEMS", "RUN", "print_plan", "reports_dir", "run_of", "say", "start"]
