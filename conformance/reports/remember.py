"""The run's record for the history, and the comparison attached to its report: the target's
origin (never a key), the contract's hash, the suite's version, the run's latency. Whatever
goes wrong here is one warning line: the history never changes a verdict or an exit status."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conformance.reports import history
from conformance.reports.model import Report
from conformance.settings import DOCUMENT, ROOT, Settings
from conformance.wire.redact import redact


def origin(label: str, secrets: list[str]) -> str:
    """The target as the history keys it: scheme, host, port and path of a URL (no user info,
    query or fragment, where a key could hide), every form of every key masked; or the label
    a harness gave its target."""
    parts = urlsplit(label)
    if parts.scheme and parts.hostname:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        label = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return redact(label, secrets)


def contract_sha256(document: Path = DOCUMENT) -> str:
    return hashlib.sha256(document.read_bytes()).hexdigest()


def suite_version() -> str:
    """The version in the checkout's pyproject.toml (what ran), else the installed one's."""
    try:
        return str(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        try:
            return metadata.version("carecycle-campaign-conformance")
        except metadata.PackageNotFoundError:
            return "unknown"


def attach(
    report: Report,
    settings: Settings,
    elapsed: list[float],
    secrets: list[str],
    env: Mapping[str, str],
) -> tuple[Report, str | None]:
    """(the report with its history, None) once the run is recorded; (the report as it was,
    the warning line) when the history is off (no warning then) or cannot be used."""
    path, keep = history.resolve(env, settings.reports_dir)
    if path is None or settings.target_label is None:
        return report, None  # off, or a run that never had a target
    try:
        record = history.RunRecord(
            report=report,
            target=origin(settings.target_label, secrets),
            contract_sha256=contract_sha256(),
            suite_version=suite_version(),
            depth=settings.depth,
            latency=history.Latency.of(elapsed),
        )
        return replace(report, history=history.remember(path, record, keep)), None
    except history.HistoryUnavailable as exc:
        warning = redact(f"warning: {exc}", secrets)
        if not exc.moved:
            return report, warning
    except Exception as exc:  # the history is a report; it must never decide the run
        return report, _unexpected(path, exc, secrets)
    # The unusable file is aside (and named in the warning): this run starts a new history.
    try:
        return replace(report, history=history.remember(path, record, keep)), warning
    except Exception as exc:
        return report, warning + "; " + _unexpected(path, exc, secrets)


def _unexpected(path: Path, exc: Exception, secrets: list[str]) -> str:
    return redact(
        f"warning: history {path} not used ({type(exc).__name__}: {exc}); the verdict stands",
        secrets,
    )
