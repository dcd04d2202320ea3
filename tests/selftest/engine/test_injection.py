"""A target's text is data in every report: payloads of each kind (heading, fence, image, link,
autolink, raw HTML and script, table row, backtick runs, terminal escapes, bidi override) sent
through a hostile target never become markup in conformance.md or the CI job summary (parsed
with markdown-it-py), never run as script in summary.html (loaded in headless Chromium), and
show their control characters escaped in the terminal and the reports."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conformance.reports.htmlreport import markdown_summary
from conformance.reports.mdsafe import code, fence
from tests.selftest.engine.hostile.wire import PREFLIGHT_ANSWER, HostileServer, response
from tests.selftest.suite_runner import load_report, run_suite
from tooling.screenshot import CHROMIUM

KEY = "cc_inject_a1b2c3d4e5f6"
SCRIPT = "document.body.setAttribute('data-pwned','1')"
# Every payload carries PWN, so any of it outside code is found by one word.
LINES = [
    "# PWN heading",
    "```",
    "````",
    "`` PWN ` backticks ``",
    "![PWN](http://evil.test/PWN.png)",
    "[PWN link](http://evil.test/)",
    "<http://evil.test/PWN>",
    "https://evil.test/PWN-autolink",
    f"<script>{SCRIPT}</script>",
    f'<img src=x onerror="{SCRIPT}">PWN',
    "| PWN | cell |",
    "|---|---|",
    "> PWN quote",
    "\x1b[31mPWN red\x1b[0m \u202ePWN reversed",
]
BODY = "\n".join(LINES).encode()
CTYPE = (
    f'text/plain; x="`` <img src=x onerror={SCRIPT}> ![PWN](http://evil.test/c.png) | PWN |\x1b[2J"'
)
LOCATION = (
    "http://evil.test/`` ![PWN](http://evil.test/l.png) <script>" + SCRIPT + "</script>\x1b[2J"
)
CODE_TOKENS = {"code_inline", "fence", "code_block"}


def _hostile_401(request, conn, server) -> bool:
    if server.take_preflight(request):
        return conn.send(PREFLIGHT_ANSWER)
    return conn.send(response(401, BODY, [("Content-Type", CTYPE)]))


def _hostile_redirect(request, conn, server) -> bool:
    return conn.send(response(302, b"", [("Location", LOCATION)]))


def _markup_from_target(text: str) -> list[str]:
    """Every token outside code that carries target text, and every link, image or HTML."""
    md = MarkdownIt("commonmark").enable("table")
    bad: list[str] = []
    todo = list(md.parse(text))
    while todo:
        tok = todo.pop()
        todo += tok.children or []
        if tok.type in ("image", "link_open", "html_block", "html_inline", "autolink"):
            bad.append(f"{tok.type}: {tok.content or tok.attrs}")
        elif tok.type not in CODE_TOKENS | {"inline"} and (
            "PWN" in tok.content or "evil" in tok.content
        ):
            bad.append(f"{tok.type}: {tok.content!r}")
    return bad


def _check_markdown(reports: Path, in_summary: bool) -> None:
    for name, text in (
        ("conformance.md", (reports / "conformance.md").read_text(encoding="utf-8")),
        ("job summary", markdown_summary(load_report(reports / "conformance.json"))),
    ):
        if name == "conformance.md" or in_summary:
            assert "PWN" in text, f"{name}: the payload never reached the report"
        assert not _markup_from_target(text), (name, _markup_from_target(text), text)
        assert "\x1b" not in text and "\u202e" not in text, name


# Debian's wrapper, else the binary it runs.
BROWSER = next((b for b in (CHROMIUM, Path("/usr/lib/chromium/chromium")) if b.exists()), None)


def _dom(page: Path) -> str:
    """The page's DOM after its scripts had two (virtual) seconds to run."""
    if BROWSER is None:
        pytest.skip("no Chromium to load the page in")
    with tempfile.TemporaryDirectory(prefix="inject-") as profile:
        proc = subprocess.run(
            [
                str(BROWSER),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=2000",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "<body" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def _ran(dom: str) -> bool:
    return bool(re.search(r"<[a-z]+[^>]*data-pwned", dom))


def _check_html(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "PWN" in html and "<script>" not in html and "\x1b" not in html
    dom = _dom(page)
    assert "PWN" in dom
    assert not _ran(dom), "a script of the target ran"


def test_the_browser_check_sees_a_script_that_runs(tmp_path: Path) -> None:
    """The check itself can fail: the same payload, unescaped, is seen running."""
    page = tmp_path / "live.html"
    page.write_text(f"<html><body>{LINES[8]}{LINES[9]}</body></html>", encoding="utf-8")
    assert _ran(_dom(page))


def test_target_text_after_preflight_is_never_markup(tmp_path: Path) -> None:
    with HostileServer(_hostile_401, api_key=KEY) as server:
        run = run_suite(tmp_path, BASE_URL=server.url, API_KEY=KEY, MAX_REQUESTS="12")
    assert run.code in (1, 7), run.output[-3000:]
    assert "\x1b[" not in run.output and "\u202e" not in run.output, "a raw escape on the terminal"
    # The job summary has one line per broken rule: a 401's body is not in it.
    _check_markdown(tmp_path, in_summary=False)
    _check_html(tmp_path / "summary.html")


def test_target_location_in_a_setup_stop_is_never_markup(tmp_path: Path) -> None:
    with HostileServer(_hostile_redirect, api_key=KEY) as server:
        run = run_suite(tmp_path, BASE_URL=server.url, API_KEY=KEY)
    assert run.code == 8, run.output[-3000:]
    assert "\x1b[" not in run.output, "a raw escape on the terminal"
    _check_markdown(tmp_path, in_summary=True)
    _check_html(tmp_path / "summary.html")


@pytest.mark.parametrize("text", [*LINES, "`", "a`", "``x``", "", "|", "x\ny"])
def test_code_and_fence_cannot_be_closed(text: str) -> None:
    md = MarkdownIt("commonmark").enable("table")
    inline = md.parseInline(f"before {code(text)} after")[0].children or []
    assert [t.type for t in inline] == ["text", "code_inline", "text"], inline
    block = md.parse("\n".join(fence(text)))
    assert [t.type for t in block] == ["fence"], block
