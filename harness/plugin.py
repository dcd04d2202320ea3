"""The harness's pytest plugin: the embedded reference server as the target when no BASE_URL
is given, and its rate-limited sibling. The only code that starts the reference server."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack

import pytest

from conformance.settings import Settings
from harness.embedded import (
    EMBEDDED_RATE_LIMIT,
    EMBEDDED_RATE_WINDOW,
    EmbeddedKeys,
    embedded_server,
    refserver_output,
)

EMBEDDED_LABEL = "embedded reference server"


def _start(settings: Settings, stack: ExitStack, keys: EmbeddedKeys, rate_limit: int) -> Settings:
    base_url = stack.enter_context(embedded_server(keys, rate_limit=rate_limit))
    return as_embedded(settings, base_url, keys, rate_limit)


def as_embedded(settings: Settings, base_url: str, keys: EmbeddedKeys, rate_limit: int) -> Settings:
    """The settings of a run against the embedded server at `base_url` (also what `make plan`
    describes when no BASE_URL is given, so its plan is the run's)."""
    return settings.with_target(
        base_url=base_url,
        api_key=keys.api_key,
        forbidden_api_key=keys.forbidden_api_key,
        other_api_key=keys.other_api_key,
        template_id=keys.template_id,
        rate_limit=rate_limit or None,
        # What the engine needs to know of it: its name, no pacing for the main target (it
        # and its sibling answer the run alone), keys right by construction, and a rate-limited sibling on offer.
        label=EMBEDDED_LABEL,
        paced=False,
        vet_inputs=False,
        sibling_rate_limit=EMBEDDED_RATE_LIMIT,
    )


@pytest.hookimpl
def pytest_conformance_target(settings: Settings, stack: ExitStack) -> Settings | None:
    return _start(settings, stack, EmbeddedKeys.fresh(), 0)


@pytest.hookimpl
def pytest_conformance_limited_target(settings: Settings, stack: ExitStack) -> Settings | None:
    if settings.label != EMBEDDED_LABEL:
        return None
    keys = EmbeddedKeys(
        api_key=settings.api_key or "",
        forbidden_api_key=settings.forbidden_api_key or "",
        other_api_key=settings.other_api_key or "",
        template_id=settings.template_id or "",
    )
    limited = _start(settings, stack, keys, EMBEDDED_RATE_LIMIT)
    return limited.with_target(rate_window=EMBEDDED_RATE_WINDOW)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The embedded target's rate-limit check spends a sibling server's quota, not the run's, so
    it need not wait for the end: right after the matrix, it is found in a few requests."""
    if os.environ.get("BASE_URL", "").strip():
        return
    first = [i for i in items if i.get_closest_marker("boundary")]
    limited = [i for i in items if i.get_closest_marker("rate_limit")]
    rest = [i for i in items if i not in first and i not in limited]
    items[:] = first + limited + rest


@pytest.hookimpl
def pytest_conformance_rule_ids(config: pytest.Config) -> list[tuple[str, str]]:
    """The planted defects' rules, when the reference server is the target (the catalogue over
    the server's CLI: the suite never imports the server)."""
    if os.environ.get("BASE_URL", "").strip():
        return []
    defects = json.loads(refserver_output(("--list-defects",)))
    return [(rule, f"refserver/defects.py ({d['name']})") for d in defects for rule in d["rules"]]


@pytest.hookimpl
def pytest_conformance_reproduce_note(settings: Settings) -> str | None:
    if settings.label != EMBEDDED_LABEL:
        return None
    chosen = " ".join(
        f"{name}={os.environ[name]}"
        for name in ("REFSERVER_DEFECT", "REFSERVER_VARIANT", "REFSERVER_STACK")
        if os.environ.get(name, "").strip()
    )
    return (
        "the embedded server is gone; bring the same one back with "
        f"`{chosen + ' ' if chosen else ''}make serve PORT=8000` and replay the reproduce lines "
        "against http://127.0.0.1:8000 with the keys it prints"
    )
