"""Keep API keys out of everything a person or CI will read."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "***"
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie"})
# A derived form shorter than this is too common a string to mask (it would mask prose).
MIN_FORM = 6


def _base64_forms(raw: bytes) -> set[str]:
    """The key's base64 as it appears inside any base64 text: for each of the three alignments,
    the characters that depend on the key alone (the edges mix with its neighbours)."""
    forms = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + raw).decode()
            head = (offset * 4 + 2) // 3
            tail = len(text) - (((len(raw) + offset) % 3 and 4) or 0) - 1
            core = text[head : max(head, tail)]
            if len(core) >= MIN_FORM:
                forms.add(core)
    return forms


def secret_forms(secret: str) -> tuple[set[str], set[str]]:
    """(forms matched in any case, forms matched exactly) of one key: as sent, without the
    `cc_` prefix, URL-encoded, and base64 (standard and URL-safe, any alignment)."""
    caseless = {secret, secret.removeprefix("cc_"), quote(secret, safe=""), quote_plus(secret)}
    exact = _base64_forms(secret.encode())
    exact |= _base64_forms(secret.removeprefix("cc_").encode())
    return {f for f in caseless if len(f) >= MIN_FORM}, exact


class Secrets(list[str]):
    """The keys to mask, and the suite's own words to keep as they are (`keep`: its test names,
    rule ids): a key's derived form may be a word of ours (a key `cc_test_other` has the form
    `test_other`, which a test's name holds), and masking must never rewrite what the suite
    says, while every form of a key the target sends back is still masked."""

    def __init__(self, secrets: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        super().__init__(secrets)
        self.keep = tuple(keep)


@lru_cache(maxsize=32)
def _pattern(secrets: tuple[str, ...], keep: tuple[str, ...] = ()) -> re.Pattern[str] | None:
    caseless: set[str] = set()
    exact: set[str] = set()
    for secret in secrets:
        c, e = secret_forms(secret)
        caseless |= c
        exact |= e
    # Longest first, so a key that contains another key is masked whole.
    parts = [f"(?i:{re.escape(f)})" for f in sorted(caseless, key=len, reverse=True)]
    parts += [re.escape(f) for f in sorted(exact, key=len, reverse=True)]
    if not parts:
        return None
    # Our own words first, in a group of their own, where one of them holds a key's form: a
    # match of the group is kept as it is (see `redact`).
    words = [w for w in keep if any(re.search(p, w) for p in parts)]
    own = [f"(?P<own>{'|'.join(re.escape(w) for w in sorted(words, key=len, reverse=True))})"]
    return re.compile("|".join((own if words else []) + parts))


def _masked(match: re.Match[str]) -> str:
    return match.group() if match.groupdict().get("own") else MASK


# A lone surrogate is a valid JSON escape (`"\\ud800"`) but no Unicode scalar value: no UTF-8
# writer (a file, the terminal, SQLite) can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def scalar_values(text: str) -> str:
    """`text` with each lone surrogate written as its escape (`\\ud800`), which reads the same in
    JSON and is plain text anywhere else."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` as it may leave the process: every form of every key masked (see
    `secret_forms`), and every lone surrogate escaped (`scalar_values`). Every file, the
    terminal and the history go through here last."""
    keep = getattr(secrets, "keep", ())
    pattern = _pattern(tuple(sorted({s for s in secrets if s})), tuple(sorted(set(keep))))
    return scalar_values(pattern.sub(_masked, text) if pattern is not None else text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def curl_line(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    key_var: str | None = None,
) -> str:
    """A copy-pasteable curl command. The key is never written: it is read from the variable
    that holds it (`-H "x-api-key: $API_KEY"`), or masked when the suite sent a made-up key."""
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
        if name.lower() == "x-api-key" and key_var:
            parts += ["-H", f'"x-api-key: ${key_var}"']
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body is not None:
        text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
        parts += ["--data-binary", shlex.quote(text)]
    return " ".join(parts)


def excerpt(body: bytes | str, limit: int = 500) -> str:
    text = body.decode("utf-8", "backslashreplace") if isinstance(body, bytes) else body
    # Re-serialised on one line when small; a deep or huge body is shown as it came.
    if len(text) < 100_000:
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    cut = text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
    return visible(cut)


# Control characters (C0, DEL, C1) and the invisible format characters that reorder or hide
# text (bidi overrides and isolates, zero-width): a target's text shows them escaped, so it
# cannot move a terminal's cursor, recolour it, or make a report read other than it is.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def visible(text: str, newlines: bool = False) -> str:
    """`text` with every control character escaped (`\\x1b`, `\\u202e`); tabs stay, newlines
    too when `newlines` (a fenced block), else they show as `\\n`."""
    escaped = _INVISIBLE.sub(lambda m: ascii(m.group())[1:-1], text)
    if newlines:
        return escaped
    return escaped.replace("\n", "\\n").replace("\r", "\\r")
