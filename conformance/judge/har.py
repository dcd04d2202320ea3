"""Reading a HAR 1.2 file without holding it: the log's entries one at a time, each with where it
starts in the file, so a file of any size is judged in bounded memory (only the entry being read
is held), and the entries can be read again in the order they were sent.

A HAR lists its entries in the order their responses finished, or as the tool that wrote it
chose; `startedDateTime` is when each was sent. The judge reads the file twice: once for when
each entry started and where it lies, then each entry in the order sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class NotHar(ValueError):
    """The file is not HAR 1.2; the message says why, in one line."""


@dataclass(frozen=True)
class Placed:
    sent_at: float  # when the entry was sent (epoch seconds; 0 for none named)
    offset: int  # where the entry's text starts in the file (a byte offset)
    index: int  # its place in the file


class _Reader:
    """A window on a text file: what is read so far from `base` on, grown on demand."""

    def __init__(self, handle: IO[bytes], chunk: int = CHUNK) -> None:
        self.handle, self.chunk = handle, chunk
        self.base = 0  # byte offset of buf[0]
        self.buf = b""
        self.pos = 0

    def _more(self) -> bool:
        chunk = self.handle.read(self.chunk)
        if not chunk:
            return False
        if self.pos > self.chunk:  # what was consumed is dropped: the window stays a chunk or two
            self.base += self.pos
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += chunk
        return True

    def skip_space(self) -> None:
        while True:
            while self.pos < len(self.buf) and chr(self.buf[self.pos]) in _SPACE:
                self.pos += 1
            if self.pos < len(self.buf) or not self._more():
                return

    def peek(self) -> str:
        self.skip_space()
        return chr(self.buf[self.pos]) if self.pos < len(self.buf) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise NotHar(f"not a HAR file: expected {char!r} at byte {self.base + self.pos}")
        self.pos += 1

    def value(self) -> tuple[Any, int]:
        """The next JSON value, and the byte offset where it starts."""
        self.skip_space()
        start = self.base + self.pos
        size = 8192  # decoded a slice at a time, doubled until the value is whole in it
        while True:
            while len(self.buf) - self.pos < size and self._more():
                pass
            piece = self.buf[self.pos : self.pos + size]
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError as exc:  # the slice ends inside a character
                text = piece[: exc.start].decode("utf-8", "replace")
            try:
                value, end = _DECODER.raw_decode(text)
            except json.JSONDecodeError as exc:
                if len(piece) < size and len(self.buf) - self.pos <= len(piece):
                    raise NotHar(f"not a HAR file: {exc.msg} near byte {start}") from None
                size *= 2
                continue
            if end == len(text) and len(piece) == size:
                size *= 2  # a number (or literal) may go on past the slice
                continue
            self.pos += len(text[:end].encode("utf-8"))
            return value, start


def _to_entries(reader: _Reader) -> None:
    """Position the reader at the first value of `log.entries`; HAR 1.2 checked on the way."""
    reader.expect("{")
    while True:
        key, _ = reader.value()
        reader.expect(":")
        if key != "log":
            reader.value()
        else:
            reader.expect("{")
            version = None
            while True:
                name, _ = reader.value()
                reader.expect(":")
                if name == "entries":
                    if version not in (None, "1.2", "1.1"):
                        raise NotHar(f"not HAR 1.2: log.version is {version!r}")
                    reader.expect("[")
                    return
                value, _ = reader.value()
                if name == "version":
                    version = value
                if reader.peek() != ",":
                    raise NotHar("not a HAR file: log holds no entries")
                reader.pos += 1
        if reader.peek() != ",":
            raise NotHar("not a HAR file: no log")
        reader.pos += 1


def entries(path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """Each entry of the file's log, in the file's order, with its byte offset."""
    with path.open("rb") as handle:
        reader = _Reader(handle)
        _to_entries(reader)
        if reader.peek() == "]":
            return
        while True:
            entry, offset = reader.value()
            if not isinstance(entry, dict):
                raise NotHar(f"not a HAR file: an entry at byte {offset} is not an object")
            yield entry, offset
            following = reader.peek()
            reader.pos += 1
            if following == "]":
                return
            if following != ",":
                raise NotHar(f"not a HAR file: entries broken near byte {reader.base + reader.pos}")


def entry_at(handle: IO[bytes], offset: int) -> dict[str, Any]:
    handle.seek(offset)
    reader = _Reader(handle, chunk=1 << 14)  # an entry is a few kB: read no more than that
    reader.base = offset
    value, _ = reader.value()
    return value  # type: ignore[no-any-return]


def sent_at(entry: dict[str, Any]) -> float:
    """When the entry was sent, `startedDateTime` in epoch seconds; 0 when it names no time
    (such entries keep the file's order, before the others). The order of entries and the
    rate windows both read this one value."""
    raw = entry.get("startedDateTime")
    if not isinstance(raw, str):
        return 0.0
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def in_order(path: Path) -> list[Placed]:
    """Where each entry lies, in the order sent (by `startedDateTime`; the file's order between
    entries that started at once, or that name no time)."""
    placed = [
        Placed(sent_at(entry), offset, index) for index, (entry, offset) in enumerate(entries(path))
    ]
    return sorted(placed, key=lambda p: (p.sent_at, p.index))
