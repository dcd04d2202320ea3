"""Value shapes: strings of an exact length in code points (JSON Schema's count, CONTRACT.md
"Request body") built from different kinds of characters.

A server can honour a length rule for ASCII and break it for other shapes: counting UTF-8
bytes or UTF-16 units, normalising (NFC/NFD) before counting, trimming or collapsing spaces.
Each shape below is one such kind, so a finding names the shape that broke the rule instead
of guessing a cause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

COMBINING_ACUTE = "\u0301"  # a combining mark: NFC composes "e" + it into one code point


@dataclass(frozen=True)
class Shape:
    key: str
    label: str  # what a finding says about the value
    build: Callable[[str, int], str]  # (filler, length in code points) -> the value


def _fill(head: str, unit: str, n: int) -> str:
    """`head` then `unit` repeated, cut to exactly `n` code points."""
    text = head + unit * n
    return text[:n]


def _ascii(filler: str, n: int) -> str:
    return _fill(filler, filler or "x", n)


def _inner(filler: str, n: int) -> str:
    # Runs of two spaces inside, never at either end: a server collapsing runs shows it.
    body = _fill(filler, "ab  ", n)
    return body[:-1] + "z" if n >= 3 and body.endswith(" ") else body


def _leading(filler: str, n: int) -> str:
    return _fill("   ", filler or "x", n)


def _trailing(filler: str, n: int) -> str:
    return (_ascii(filler, n - 3) + "   ")[:n] if n >= 3 else " " * n


def _repeated(char: str) -> Callable[[str, int], str]:
    def build(filler: str, n: int) -> str:
        # The run's ASCII prefix (so an operator finds the campaign), then the character alone.
        return _fill(filler, char, n)

    return build


def _combining(filler: str, n: int) -> str:
    # "e" + U+0301 pairs: n code points, about n/2 user-perceived characters.
    return _fill(filler, "e" + COMBINING_ACUTE, n)


SHAPES: tuple[Shape, ...] = (
    Shape("ascii", "ASCII", _ascii),
    Shape("inner-spaces", "runs of inner spaces", _inner),
    Shape("leading-spaces", "leading spaces", _leading),
    Shape("trailing-spaces", "trailing spaces", _trailing),
    Shape("utf8-2byte", "2-byte UTF-8 characters (U+00E9 é)", _repeated("\u00e9")),
    Shape("utf8-3byte", "3-byte UTF-8 characters (U+20AC €)", _repeated("\u20ac")),
    Shape("utf8-4byte", "4-byte UTF-8 characters (U+1F600, outside the BMP)", _repeated("😀")),
    Shape("combining", "combining marks (e + U+0301, not normalised)", _combining),
)
BY_KEY: Mapping[str, Shape] = MappingProxyType({s.key: s for s in SHAPES})


def shaped(key: str, filler: str, n: int) -> str:
    value = BY_KEY[key].build(filler, n)
    assert len(value) == n, (key, n, len(value))  # the edge is the point: never off by one
    return value
