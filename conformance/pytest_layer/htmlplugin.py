"""pytest plugin: report.html gets the suite's title and, at its top, the verdict and a link to
summary.html (written with the other reports, by `conformance.reports.ending.write_reports`).

pytest-html's hooks are only known while pytest-html is loaded (`-p no:html` unloads it), and
pytest rejects an implementation of an unknown hook, so they live on a class registered in
`pytest_configure` only when the html plugin is there.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import pytest

from conformance.pytest_layer.start import run_of
from conformance.reports.model import Report
from conformance.settings import Settings

TITLE = "CareCycle conformance: {operation}"  # the operation from the document, never spelled here


def _reports_dir(config: pytest.Config) -> Path:
    # Where the run's reports went: the same expression, the same REPORTS_DIR.
    return (run_of(config).settings or Settings.reports_only()).reports_dir


def _this_run_report(config: pytest.Config) -> Report | None:
    """This run's built report; None for the selftests, which build none."""
    return run_of(config).report


class HtmlHooks:
    """pytest-html's hooks; registered only when pytest-html is loaded."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_html_report_title(self, report: Any) -> None:
        from conformance.contract.document import target_operation

        report.title = TITLE.format(operation=target_operation().label)

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str]
    ) -> None:
        # pytest-html calls this at its own (trylast) sessionfinish, after the reports are
        # built (tryfirst), so the verdict here is this run's.
        report = _this_run_report(self.config)
        if report is None:
            return
        run = report.run
        link = self._summary_link()
        # Inline styles: pytest-html's stylesheet is its own; green only for a conforming run.
        edge = "#2e7d32" if run.exit_status == 0 else "#c62828"
        prefix.append(
            f'<div style="border:1px solid #d5d9de;border-left:5px solid {edge};'
            "border-radius:6px;padding:.2rem 1rem;margin:.5rem 0 1rem;background:#f6f7f9;"
            'overflow-wrap:anywhere;font-size:14px">'
            f"<p><strong>Verdict: {escape(report.verdict_word)}</strong>, exit status "
            f"{run.exit_status}: {escape(run.exit_meaning)}"
            f" ({report.verdicts.failed} rule(s) broken).</p>"
            f'<p><a href="{escape(link)}" style="color:#0645ad;font-weight:600">summary.html</a>'
            ": one finding per broken rule.</p></div>"
        )

    def _summary_link(self) -> str:
        """summary.html relative to report.html (usually both in reports/)."""
        html_path = getattr(self.config.option, "htmlpath", None)
        if not html_path:
            return "summary.html"
        base = Path(html_path).expanduser().resolve().parent
        return Path(os.path.relpath(_reports_dir(self.config) / "summary.html", base)).as_posix()


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(HtmlHooks(config), "conformance-html")
