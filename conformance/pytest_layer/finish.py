"""The end of a run: its exit status, its report built and written (every subscriber told), and
what the terminal says last. Nothing here may crash the run: each step's failure is a suite
error (`conformance.reports.ending`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conformance.findings import Kind
from conformance.pytest_layer.start import ITEMS, run_of
from conformance.reports import model as m
from conformance.reports.ending import (
    ERROR_FILE,
    EndError,
    ReportFiles,
    end_step,
    finish,
    keep_errors,
)
from conformance.reports.remember import attach
from conformance.run import outcomes
from conformance.run.run import Run
from conformance.settings import Settings
from conformance.wire.redact import redact


def _info(session: pytest.Session, run: Run, settings: Settings, status: int) -> m.RunInfo:
    plan = run.plan
    return m.RunInfo(
        run_id=settings.run_id,
        seed=settings.seed,
        target=settings.target_label,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started)),
        seconds=round(time.time() - run.started, 1),
        budget=m.Budget(
            settings.max_requests,
            settings.max_time,
            settings.max_campaigns,
            plan.at_most if plan else None,
        ),
        planned=m.Part(plan.total.requests, plan.total.campaigns) if plan else m.Part(0, 0),
        exit_status=status,
        exit_meaning=outcomes.EXIT_MEANING.get(status, "see pytest's exit codes"),
        setup_error=run.setup_error or None,
        not_covered=run.stopped or None,
        reproduce_note=session.config.hook.pytest_conformance_reproduce_note(settings=settings),
        baseline=m.BaselineUse(
            file=str(settings.baseline),
            accepted=tuple(sorted(run.accepted.used)),
            stale=tuple(m.StaleEntry(e.id, e.check, e.signature) for e in run.accepted.stale()),
        ),
        strict=settings.strict,
        rules_off=tuple(outcomes.rules_off(run.results)),
        allowed_off=settings.allow_off,
    )


def _status(run: Run, settings: Settings, exitstatus: int) -> int:
    # pytest's own statuses stand: interrupted, internal error, usage error, and no tests (a run
    # that tested nothing is never turned green).
    if exitstatus in (2, 3, 4, 5) or not (run.results or run.setup_error):
        return exitstatus
    status = outcomes.exit_status(run.results, run.setup_error)
    if run.setup_error and exitstatus == outcomes.NOT_TESTED:
        return outcomes.NOT_TESTED
    if settings.strict:
        return outcomes.strict(status, outcomes.rules_off(run.results), settings.allow_off)
    return status


def finish_run(session: pytest.Session, exitstatus: int) -> None:
    run = run_of(session.config)
    if not run.active:
        return  # not a conformance run (the selftests)
    settings = run.settings or Settings.reports_only()
    _late_overspending(run)
    with end_step("the end of the run", run.end_errors):
        status = session.exitstatus = _status(run, settings, exitstatus)
        secrets = run.secrets()
        directory = settings.reports_dir
        files = ReportFiles(directory, run.ledger, secrets, run.end_errors)
        run.events.subscribe(files)

        def remember(report: m.Report) -> m.Report:
            report, run.history_warning = attach(
                report, settings, run.ledger.elapsed, secrets, os.environ
            )
            return report

        run.report = finish(run, _info(session, run, settings, status), files, remember)
    if run.end_errors:
        if run.report is None:  # the end itself failed before any report was kept
            keep_errors(settings.reports_dir, run.end_errors, run.secrets())
        session.exitstatus = run.report.run.exit_status if run.report else outcomes.SUITE_ERROR
    with end_step("closing what the run started", run.end_errors):
        run.stack.close()


def _late_overspending(run: Run) -> None:
    """A test held to its declaration once more at the end: a request filed under it after it
    ended (a concurrent batch sends for tests still to come) is counted then."""
    if run.plan is None:
        return
    told = {r.nodeid for r in run.results if r.kind is Kind.SUITE_ERROR}
    for test in run.plan.tests:
        if test not in told and (why := run.overspent(test)):
            run.end_errors.append(EndError(f"the cost of {test}", f"{test} {why}", ""))


def end_lines(run: Run) -> list[str]:
    """The terminal's last words beyond the report's summary: a setup stop, the history's
    warning, an end-of-run failure that left no report."""
    lines = []
    if run.report is None and run.setup_error:
        lines.append(f"stopped: {run.setup_error}")
    if run.history_warning:
        lines.append(run.history_warning)
    if run.report is None:
        where = (run.settings or Settings.reports_only()).reports_dir / ERROR_FILE
        lines += [
            f"{e.shown} (a bug of the suite, not the target; see {where})" for e in run.end_errors
        ]
    return lines


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last step for files: report.html is written by pytest-html from reports we redacted;
    whatever it added of its own is masked here, before anyone reads it."""
    run = run_of(config)
    secrets = run.secrets()
    path = getattr(config.option, "htmlpath", None)
    if secrets and run.active and path and Path(path).is_file():
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        masked = redact(text, secrets)
        if masked != text:
            Path(path).write_text(masked, encoding="utf-8")


__all__ = ["ITEMS", "end_lines", "finish_run"]
