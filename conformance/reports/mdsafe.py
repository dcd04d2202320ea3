"""Markdown that a target's text cannot turn into markup. Everything the target supplied (a
body, a content type, a Location, what a check quotes of a response, a transport fault's
reason) goes into code it cannot close: inline code delimited by more backticks than any run in
the text, or a fence longer than any run. Code is never a heading, an image, a link, raw HTML or
a table cell. Control characters show escaped; inside a table, so does `|`."""

from __future__ import annotations

import re

from conformance.wire.redact import visible

_RUNS = re.compile(r"`+")


def _longest_run(text: str) -> int:
    return max((len(m) for m in _RUNS.findall(text)), default=0)


def code(text: object, cell: bool = False) -> str:
    """Inline code for any text, on one line (newlines show as `\\n`). In a table `cell`, `|`
    is escaped as GFM asks ("including inside other inline spans")."""
    shown = visible(str(text))
    if cell:
        shown = shown.replace("|", "\\|")
    ticks = "`" * (_longest_run(shown) + 1)
    # A space on each side keeps a leading or trailing backtick apart from the delimiter (and
    # keeps text that is itself wrapped in spaces whole): CommonMark strips one from each side.
    padded = shown[:1] in ("`", " ") or shown[-1:] in ("`", " ") or not shown
    pad = " " if padded else ""
    return f"{ticks}{pad}{shown}{pad}{ticks}"


def fence(text: str, info: str = "text") -> list[str]:
    """A fenced block longer than any backtick run in `text`: no line of it can close it."""
    shown = visible(text, newlines=True)
    ticks = "`" * max(3, _longest_run(shown) + 1)
    return [f"{ticks}{info}", shown, ticks]
