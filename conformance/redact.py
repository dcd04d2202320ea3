"""Keep API keys out of everything a person or CI will read."""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterable, Mapping

MASK = "***"
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie"})


def redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a key that contains another key is masked whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def curl_line(method: str, url: str, headers: Mapping[str, str], body: bytes | str | None) -> str:
    """A copy-pasteable curl command; the key is masked, so the reader substitutes their own."""
    parts = ["curl", "-X", method.upper(), shlex.quote(url)]
    for name, value in redact_headers(headers).items():
        if name.lower() in (
            "content-length",
            "user-agent",
            "accept-encoding",
            "connection",
            "accept",
        ):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body is not None:
        text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
        parts += ["--data-binary", shlex.quote(text)]
    return " ".join(parts)


def excerpt(body: bytes | str, limit: int = 500) -> str:
    text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
