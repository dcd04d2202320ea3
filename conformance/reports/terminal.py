"""The terminal: a subscriber of the run's events, and the last step before bytes leave the process
(every write is redacted)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from conformance.reports.model import Report
from conformance.run.events import Event, Progress, RunReported, RunStarted
from conformance.wire.redact import redact


class RedactingFile:
    """A text stream that masks every form of every key on its way out. Writes are whole
    messages or lines in pytest's terminal writer, so a key is never split between two writes."""

    def __init__(self, stream: TextIO, secrets: Callable[[], list[str]]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(redact(text, self._secrets()))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


PROGRESS_EVERY = 10.0


class Terminal:
    """The run on the terminal, from its events: the start block, a progress line at least
    every 10 s of a long test or wait, and at the end the findings and the verdict. `write`
    puts one line out (the pytest layer's, past its capture)."""

    def __init__(
        self,
        write: Callable[[str], None],
        summary: Callable[[Report], list[str]],
        stops: bool = False,
    ) -> None:
        """`stops`: the summary is said for a setup stop too (else pytest's own stop line is)."""
        self.write = write
        self.summary = summary
        self.stops = stops
        self.last = time.monotonic()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            for line in event.lines:
                self.write(line)
        elif isinstance(event, Progress):
            now = time.monotonic()
            if now - self.last >= PROGRESS_EVERY:
                self.last = now
                test = event.test.split("::", 1)[-1]
                self.write(f"  ... {event.sent} requests, {event.elapsed:.0f} s elapsed, in {test}")
        elif isinstance(event, RunReported) and (self.stops or not event.report.run.setup_error):
            # A setup stop is its one line (`stopped: ...`), not a summary of nothing.
            for line in self.summary(event.report):
                self.write(line)
