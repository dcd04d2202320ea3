"""The end of a run: every report written from one built report, and no step's failure stops
another or crashes the run. An exception of ours here (a report that does not render, a file
that cannot be written, the HAR's close) is a suite error: the rest is still written, the
report says so, the exit status is 9 unless findings or a setup stop outrank it, and the
traceback goes to `suite-error.txt`."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from conformance.reports import model as m
from conformance.reports.build import build, created_list, run_summary
from conformance.run import outcomes
from conformance.run.events import Event, Events, RunEnding, RunFinished, RunReported
from conformance.run.ledger import Ledger
from conformance.run.run import Run
from conformance.settings import name_prefix
from conformance.wire.redact import redact

ERROR_FILE = "suite-error.txt"


@dataclass(frozen=True)
class EndError:
    """One end-of-run step that raised."""

    step: str
    line: str
    traceback: str

    @property
    def shown(self) -> str:
        return f"SUITE ERROR at the end of the run, {self.step}: {self.line}"


@contextmanager
def end_step(step: str, errors: list[EndError]) -> Iterator[None]:
    """Run one step; an exception becomes an `EndError`, never the run's crash."""
    try:
        yield
    except Exception as exc:
        line = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        errors.append(EndError(step, line, "".join(traceback.format_exception(exc))))


def with_errors(report: m.Report, errors: list[EndError]) -> m.Report:
    """The report with the end's errors among its suite errors, and the exit status they set."""
    if not errors:
        return report
    status = outcomes.after_end_errors(report.run.exit_status)
    run = replace(
        report.run,
        exit_status=status,
        exit_meaning=outcomes.EXIT_MEANING.get(status, report.run.exit_meaning),
    )
    rows = tuple(m.SuiteError(f"<end of run: {e.step}>", e.line, e.traceback) for e in errors)
    return replace(report, run=run, suite_errors=report.suite_errors + rows)


def _texts(report: m.Report, ledger: Ledger) -> dict[str, Callable[[], str]]:
    from conformance.reports.htmlreport import summary_html
    from conformance.reports.markdown import markdown

    created = created_list(ledger, name_prefix(report.run.run_id))
    return {
        "conformance.json": report.to_json,
        "conformance.md": lambda: markdown(report),
        "created.json": lambda: json.dumps(created, indent=2, ensure_ascii=False),
        "run.json": lambda: json.dumps(run_summary(report), indent=2),
        "summary.html": lambda: summary_html(report),
    }


def _rendered(report: m.Report, ledger: Ledger, errors: list[EndError]) -> dict[str, str]:
    out = {}
    for name, render in _texts(report, ledger).items():
        with end_step(f"rendering {name}", errors):
            out[name] = render()
    return out


class ReportFiles:
    """A subscriber of the run's end: every report file from the report it carries. A file
    that cannot be written is an `EndError`, and the files that were written are written again
    to say so (with the exit status it sets)."""

    def __init__(
        self, directory: Path, ledger: Ledger, secrets: list[str], errors: list[EndError]
    ) -> None:
        self.directory, self.ledger, self.secrets, self.errors = directory, ledger, secrets, errors
        self.report: m.Report | None = None

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RunFinished) or event.report is None:
            return
        report = event.report
        texts = _rendered(report, self.ledger, self.errors)
        with end_step("creating the reports directory", self.errors):
            self.directory.mkdir(parents=True, exist_ok=True)
        seen = len(self.errors)
        written = _write(self.directory, texts, self.secrets, self.errors)
        if len(self.errors) > seen:
            # The files written say what failed beside them (and the exit status it sets).
            report = with_errors(report, self.errors[seen:])
            texts = _rendered(report, self.ledger, [])
            _write(self.directory, texts, self.secrets, [], only=written)
        self.report = report


def deliver(events: Events, event: Event, errors: list[EndError]) -> None:
    """An end-of-run event to every subscriber, each on its own: one that raises is an
    `EndError`, and the others still get the event."""
    for subscriber in list(events.subscribers):
        name = getattr(subscriber, "__name__", type(subscriber).__name__)
        with end_step(f"{name} at the end of the run", errors):
            subscriber(event)


def finish(
    run: Run,
    info: m.RunInfo,
    files: ReportFiles,
    attach: Callable[[m.Report], m.Report] | None = None,
) -> m.Report | None:
    """The end of a run: the exchanges no test took to the HAR, the report built (each file
    rendered once first, so that what fails to render is known before anything is written),
    its history attached, then the report to every subscriber (JUnit, the report files, the
    terminal). The report kept is the one the files say."""
    errors = run.end_errors
    deliver(run.events, RunEnding(tuple(run.ledger.take())), errors)
    report: m.Report | None = None
    with end_step("building the report", errors):
        report = build(run.results, run.ledger, info)
    if report is not None:
        _rendered(report, run.ledger, errors)  # a dry run: what fails is known before writing
        report = with_errors(report, errors)
        if attach is not None:
            report = attach(report)
    deliver(run.events, RunFinished(report), errors)
    final = files.report or report
    if errors:
        final = final and with_errors(final, [e for e in errors if not _shown_in(final, e)])
        keep_errors(files.directory, errors, files.secrets)
    if final is not None:
        deliver(run.events, RunReported(final), errors)
    return final


def _shown_in(report: m.Report, error: EndError) -> bool:
    return any(e.test == f"<end of run: {error.step}>" for e in report.suite_errors)


def _write(
    directory: Path,
    texts: dict[str, str],
    secrets: list[str],
    errors: list[EndError],
    only: set[str] | None = None,
) -> set[str]:
    """The files that could be written; each failure is an `EndError`."""
    written = set()
    for name, text in texts.items():
        if only is not None and name not in only:
            continue
        with end_step(f"writing {name}", errors):
            (directory / name).write_text(redact(text, secrets), encoding="utf-8")
            written.add(name)
    return written


def keep_errors(directory: Path, errors: list[EndError], secrets: list[str]) -> None:
    """The tracebacks, for maintainers, in a file of their own (the terminal gets one line)."""
    text = "\n".join(f"{e.shown}\n{e.traceback}" for e in errors)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ERROR_FILE).write_text(redact(text, secrets), encoding="utf-8")
    except OSError:
        pass  # the terminal's line still says what failed
