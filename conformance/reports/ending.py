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
from conformance.run.outcomes import TestResult
from conformance.run.settings import name_prefix
from conformance.wire.ledger import Ledger
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


def write_reports(
    directory: Path,
    results: list[TestResult],
    ledger: Ledger,
    run: m.RunInfo,
    secrets: list[str],
    attach: Callable[[m.Report], m.Report] | None = None,
    errors: list[EndError] | None = None,
) -> tuple[m.Report | None, list[EndError]]:
    """Every report file, and the report the terminal and report.html show (None when even
    building it failed); `errors` holds the earlier end steps' failures (the HAR's) and gets
    this one's. Each file is rendered once to find what fails, so that the files written
    carry the exit status those failures set; `attach` records the run in the history."""
    errors = errors if errors is not None else []
    report: m.Report | None = None
    with end_step("building the report", errors):
        report = build(results, ledger, run)
    if report is not None:
        _rendered(report, ledger, errors)  # a dry run: what fails is known before writing
        report = with_errors(report, errors)
        if attach is not None:
            report = attach(report)
        seen = len(errors)
        texts = _rendered(report, ledger, errors)
        if len(errors) > seen:
            report = with_errors(report, errors[seen:])
            texts = _rendered(report, ledger, [])
        with end_step("creating the reports directory", errors):
            directory.mkdir(parents=True, exist_ok=True)
        seen = len(errors)
        written = _write(directory, texts, secrets, errors)
        if len(errors) > seen:
            # The files written say what failed beside them (and the exit status it sets).
            report = with_errors(report, errors[seen:])
            _write(directory, _rendered(report, ledger, []), secrets, [], only=written)
    if errors:
        keep_errors(directory, errors, secrets)
    return report, errors


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
