"""What a run will spend before it sends anything: requests and campaigns per part, and the
wall time the pace alone sets (the target's rate limit is the cost, not CPU)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from conformance.checks.repeat import planned_runs
from conformance.contract.document import target_operation
from conformance.run.settings import Settings


def part_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


def item_cost(item: pytest.Item, settings: Settings) -> tuple[int, int]:
    """(requests, campaigns) one test will spend, from its `cost` marker or its case, times
    the runs the nightly gives its share of the boundary and semantic cases (the gate's
    re-run of a failure is not planned: a conforming target never causes it)."""
    requests, campaigns = _one_run(item, settings)
    if item.get_closest_marker("boundary") or item.get_closest_marker("semantic"):
        runs = planned_runs(item.name, settings.depth)
        return requests * runs, campaigns * runs
    return requests, campaigns


def _one_run(item: pytest.Item, settings: Settings) -> tuple[int, int]:
    marker = item.get_closest_marker("cost")
    if marker is not None:
        return marker.kwargs.get("requests", 1), marker.kwargs.get("campaigns", 0)
    name = getattr(item, "originalname", item.name)
    if name == "test_negative":
        # The examples phase adds the document's examples; the coverage phase is nightly only.
        # A generated "invalid" body the document in fact allows is created: allow a couple.
        return settings.examples + 2, 2
    if name == "test_positive":
        share = settings.examples if settings.depth == "nightly" else max(1, settings.examples // 8)
        return share + 2, share + 2
    case = getattr(item, "callspec", None)
    expect = getattr(case.params.get("case"), "expect", None) if case else None
    return 1, 1 if expect == target_operation().success else 0


def _judges_template_probe(item: pytest.Item) -> bool:
    """The semantic context row that judges the vetting's template campaign (it sends nothing
    of its own when the probe was made)."""
    case = getattr(item, "callspec", None)
    ctx = case.params.get("ctx") if case else None
    return bool(getattr(ctx, "is_preflight_probe", False))


def vetting(items: list[pytest.Item], settings: Settings) -> tuple[int, int]:
    """What the vetting of the optional inputs sends (conformance.run.preflight.vet_optional):
    one request per key given; the template probe is a campaign its own test then judges, so it
    costs extra only when that test is not selected. A harness's own target is not vetted."""
    if not settings.vet_inputs:
        return 0, 0
    keys = bool(settings.forbidden_api_key) + bool(settings.other_api_key)
    judged = any(_judges_template_probe(i) for i in items)
    template = 1 if settings.template_id and not judged else 0
    return keys + template, template


def estimate(items: Iterable[pytest.Item], settings: Settings) -> dict[str, tuple[int, int]]:
    """An upper bound (before throttling and transport retries): the preflight and the vetting
    included, so the run never sends more than the start line promised."""
    items = list(items)
    parts: dict[str, tuple[int, int]] = {"preflight": (1, 0)}
    if any(vet := vetting(items, settings)):
        parts["vetting"] = vet
    # The rate-limit check runs against RATE_LIMIT, or a harness's rate-limited sibling: its
    # requests count in the run all the same.
    limit = settings.rate_limit or settings.sibling_rate_limit
    for item in items:
        requests, campaigns = item_cost(item, settings)
        if item.get_closest_marker("rate_limit") and not limit:
            continue  # off without RATE_LIMIT
        r, c = parts.get(part_of(item), (0, 0))
        parts[part_of(item)] = (r + requests, c + campaigns)
    if limit and "test_rate_limit" in parts:
        r, c = parts["test_rate_limit"]
        parts["test_rate_limit"] = (r + limit, c)  # the burst of N+1
    return parts


def total(parts: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(requests, campaigns) the whole plan spends at most."""
    return sum(r for r, _ in parts.values()), sum(c for _, c in parts.values())


def describe(parts: dict[str, tuple[int, int]], settings: Settings) -> list[str]:
    requests, campaigns = total(parts)
    rate = settings.rate_limit or 60
    lines = [f"  {name:<18} {r:>5} requests {c:>4} campaigns" for name, (r, c) in parts.items()]
    lines.append(
        f"  {'total':<18} {requests:>5} requests {campaigns:>4} campaigns; "
        f"at {rate}/min the pace alone takes about {requests * 60 / rate:.0f} s"
    )
    return lines
