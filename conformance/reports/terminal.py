"""The terminal, as the last step before bytes leave the process: every write is redacted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

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
