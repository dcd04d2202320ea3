"""The tests' declared costs, read from their `cost` markers into the run's plan
(`conformance.run.cost`): `@pytest.mark.cost(requests=..., campaigns=..., extra=..., why=...)`,
or `@pytest.mark.cost(declare=fn)` where `fn(settings, campaigns_left)` returns a `Cost` (what
the test spends depends on the configuration), with `rest=True` for a test that takes what the
campaign budget leaves once every other test is planned. No marker: one request, no campaign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from conformance.run.cost import Cost, Plan, plan
from conformance.settings import Settings

PREFLIGHT = Cost(1, 0)


def _marker(item: pytest.Item) -> pytest.Mark | None:
    return item.get_closest_marker("cost")


def takes_rest(item: pytest.Item) -> bool:
    marker = _marker(item)
    return bool(marker is not None and marker.kwargs.get("rest"))


def declared(item: pytest.Item, settings: Settings, left: int = 0) -> Cost:
    marker = _marker(item)
    if marker is None:
        return Cost()
    kw = marker.kwargs
    if "declare" in kw:
        cost: Cost = kw["declare"](settings, left)
        return cost
    return Cost(
        kw.get("requests", 1), kw.get("campaigns", 0), kw.get("extra", 0), kw.get("why", "")
    )


def vetting(settings: Settings) -> Cost:
    """What the vetting of the optional inputs sends (conformance.run.preflight.vet_optional):
    one request per key given, and the template probe, a campaign that one semantic context row
    then judges instead of sending its own. A harness's own target is not vetted."""
    if not settings.vet_inputs:
        return Cost(0, 0)
    keys = bool(settings.forbidden_api_key) + bool(settings.other_api_key)
    template = 1 if settings.template_id else 0
    return Cost(keys + template, template)


def run_plan(items: Iterable[pytest.Item], settings: Settings, reserve: int) -> Plan:
    """The run's plan: its own requests, then every test's declaration; the tests that take the
    rest of the campaign budget come last, and get it less `reserve` (the re-runs' campaigns)."""
    items = list(items)
    own = {"preflight": PREFLIGHT}
    if (vet := vetting(settings)).requests:
        own["vetting"] = vet
    first = [(i.nodeid, declared(i, settings)) for i in items if not takes_rest(i)]
    spent = sum(c.campaigns for c in own.values()) + sum(c.campaigns for _, c in first)
    left = settings.max_campaigns - reserve - spent
    rest = [(i.nodeid, declared(i, settings, left)) for i in items if takes_rest(i)]
    order = {i.nodeid: n for n, i in enumerate(items)}
    tests = sorted(first + rest, key=lambda t: order[t[0]])
    sends = {nodeid for nodeid, cost in tests if cost.requests}
    # A batch of a test that sends nothing (its input not given) goes out at no size at all.
    concurrency = {
        m.args[1]: m.args[0]
        for i in items
        if (m := i.get_closest_marker("concurrent")) is not None and i.nodeid in sends
    }
    return replace(plan(own, tests), concurrency=concurrency)
