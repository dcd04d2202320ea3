"""summary.html's History section in headless Chromium at 1280 px: it renders, nothing scrolls
sideways (measured in a copy of the page with a probe script; the report itself has none), and
a PNG is left for a person to look at (HISTORY_SCREENSHOT=path keeps it)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conformance.reports.htmlreport import summary_html, write_summary
from conformance.reports.model import History, RuleLabel, RunPoint
from tests.selftest.engine.test_history_store import report
from tooling.screenshot import CHROMIUM, command, screenshot

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} absent")


def history_report() -> object:
    """A failing run with 30 runs of history: a bar and two points per run."""
    runs = tuple(
        RunPoint(
            f"20261{101 + n:04d}T031700ab{n:02d}",
            f"2026-11-{n + 1:02d}T03:17:00Z",
            1 if n % 3 else 0,
            n % 4,
            2 if n % 5 == 0 else 0,
            38 - n % 4 - (2 if n % 5 == 0 else 0),
            8.0 + n % 7,
            20.0 + (n * 7) % 23,
        )
        for n in range(30)
    )
    history = History(
        db="/var/lib/conformance/history.sqlite",
        previous_run=runs[-2].run_id,
        previous_started=runs[-2].started,
        labels=(RuleLabel("semantic.empty", "persisting", "2026-11-20T03:17:00Z", 6),),
        fixed=("request.name",),
        runs=runs,
    )
    return dataclasses.replace(report(30, ("semantic.empty",)), history=history)


def _scroll_width(page: Path, tmp: Path) -> tuple[int, int]:
    """(document scroll width, viewport width) of the page at 1280 px."""
    probe = tmp / "probe.html"
    html = page.read_text(encoding="utf-8")
    script = (
        "<script>document.title = 'W=' + document.documentElement.scrollWidth + "
        "',' + window.innerWidth;</script>"
    )
    probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="probe-") as profile:
        cmd = command(probe, tmp / "unused.png", 1280, 900, Path(profile))
        cmd = [c for c in cmd if not c.startswith("--screenshot")]
        cmd.insert(-1, "--dump-dom")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r"<title>W=(\d+),(\d+)</title>", out.stdout)
    assert found, out.stderr[-500:]
    return int(found.group(1)), int(found.group(2))


def test_the_history_section_reads_at_1280_px(tmp_path: Path) -> None:
    doc = history_report()
    page = write_summary(tmp_path, doc, [])  # type: ignore[arg-type]
    html = summary_html(doc)  # type: ignore[arg-type]
    assert "<script" not in html and "http" not in html.split("<body>")[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert html.count('<a href="#run-') == 90 and html.count('<tr id="run-') == 30
    width, viewport = _scroll_width(page, tmp_path)
    assert width <= viewport == 1280, f"the page scrolls sideways: {width} > {viewport}"
    out = screenshot(page, tmp_path / "history.png", width=1280, height=2600)
    assert out.read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("HISTORY_SCREENSHOT")
    if keep:
        shutil.copy(out, keep)
