"""What a run will spend before it sends anything: requests and campaigns per part, what
findings may add on top, and the wall time the pace alone sets (the target's rate limit is the
cost, not CPU). The campaign budget (MAX_CAMPAIGNS) is part of the plan: the positive property
cases get what the other parts leave."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from conformance.checks.property import (
    EXPLICIT_POSITIVE,
    REPLAYS_PER_PHASE,
    positive_examples,
    positive_share,
    property_phases,
)
from conformance.checks.repeat import Allowance, planned_runs
from conformance.contract.document import target_operation
from conformance.run.findings import CampaignBudgetSpent
from conformance.run.settings import Settings

# Checks whose one attempt may send two requests (semantic.id posts the same body twice;
# semantic.client creates with each key it has no campaign of): a re-run of each costs one more.
TWO_REQUEST_CHECKS = 2
PROPERTY_TESTS = ("test_negative", "test_positive")


def part_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


def item_cost(item: pytest.Item, settings: Settings) -> tuple[int, int]:
    """(requests, campaigns) one test will spend, from its `cost` marker or its case, times
    the runs the nightly gives its share of the boundary and semantic cases that create nothing
    (the gate's re-run of a failure is not planned here: see `findings_bound`)."""
    requests, campaigns = _one_run(item, settings)
    if item.get_closest_marker("boundary") or item.get_closest_marker("semantic"):
        runs = planned_runs(item.name, settings.depth, creates=campaigns > 0)
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
        share = positive_share(settings) + EXPLICIT_POSITIVE
        return share, share  # scaled to the campaign budget in `estimate`
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
    """An upper bound (before throttling and transport retries) of what a conforming target
    costs: the preflight and the vetting included, so the run never sends more than the start
    line promised (what findings may add is `findings_bound`)."""
    items = list(items)
    parts: dict[str, tuple[int, int]] = {"preflight": (1, 0)}
    if any(vet := vetting(items, settings)):
        parts["vetting"] = vet
    # The rate-limit check runs against RATE_LIMIT, or a harness's rate-limited sibling: its
    # requests count in the run all the same.
    limit = settings.rate_limit or settings.sibling_rate_limit
    positive: tuple[int, int] | None = None
    for item in items:
        requests, campaigns = item_cost(item, settings)
        if item.get_closest_marker("rate_limit") and not limit:
            continue  # off without RATE_LIMIT
        if getattr(item, "originalname", item.name) == "test_positive":
            positive = (requests, campaigns)
            continue
        r, c = parts.get(part_of(item), (0, 0))
        parts[part_of(item)] = (r + requests, c + campaigns)
    if positive is not None:
        # The positive property cases run after every other case that creates a campaign, and
        # get what the budget has left (none left: not tested).
        left = settings.max_campaigns - total(parts)[1]
        try:
            sent = positive_examples(settings, left) + EXPLICIT_POSITIVE
        except CampaignBudgetSpent:
            sent = 0
        r, c = parts.get("test_contract", (0, 0))
        parts["test_contract"] = (r + sent, c + min(sent, max(left, 0)))
    if limit and not settings.pace_interval and "test_rate_limit" in parts:
        # Unpaced, the check sends its own burst of N+1; paced, the run's first window is the
        # burst of N and the check sends N+1 and two probes (checks/ratewindow.py).
        r, c = parts["test_rate_limit"]
        parts["test_rate_limit"] = (r + limit, c)
    return parts


def total(parts: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(requests, campaigns) the whole plan spends at most."""
    return sum(r for r, _ in parts.values()), sum(c for _, c in parts.values())


@dataclass(frozen=True)
class FindingsCost:
    """The most requests findings may add to the plan, by cause."""

    reruns: int  # a failing case sent again (checks/repeat.py, the run's Allowance)
    replays: int  # a failing property phase replayed once (no shrinking)
    # No proof from the first window: a quiet window and a burst, a second burst when a window
    # ended during it, and a second throttling for the order probe.
    rate_limit: int

    @property
    def total(self) -> int:
        return self.reruns + self.replays + self.rate_limit


def findings_bound(items: Iterable[pytest.Item], settings: Settings) -> FindingsCost:
    names = [getattr(item, "originalname", item.name) for item in items]
    replays = (
        sum(n in PROPERTY_TESTS for n in names) * property_phases(settings) * REPLAYS_PER_PHASE
    )
    limit = settings.rate_limit or settings.sibling_rate_limit
    limited = bool(limit) and any(n == "test_limit_is_exact" for n in names)
    return FindingsCost(
        reruns=Allowance().left + TWO_REQUEST_CHECKS,
        replays=replays,
        # At worst: N+1 served, so a quiet window and a burst of N+1 of its own, then a second
        # burst when a window ended in that one, and the order probe's second throttling.
        rate_limit=3 * limit + 4 if limited else 0,
    )


def upper_bound(items: list[pytest.Item], settings: Settings) -> int:
    """The most requests the run sends, whatever the target does: the plan and what findings
    may add (the default MAX_REQUESTS at the gate)."""
    return total(estimate(items, settings))[0] + findings_bound(items, settings).total


def describe(
    parts: dict[str, tuple[int, int]], settings: Settings, extra: FindingsCost | None = None
) -> list[str]:
    requests, campaigns = total(parts)
    rate = settings.rate_limit or 60
    lines = [f"  {name:<18} {r:>5} requests {c:>4} campaigns" for name, (r, c) in parts.items()]
    # Paced per key, a window's share back to back: the floor is the windows the busiest key
    # needs (every request on one key, at most), not one request a second.
    windows = max(0, -(-requests // rate) - 1)
    lines.append(
        f"  {'total':<18} {requests:>5} requests {campaigns:>4} campaigns; "
        f"at {rate}/min the pace alone takes at most about {windows * settings.rate_window:.0f} s"
    )
    lines.append(
        f"  campaign budget MAX_CAMPAIGNS={settings.max_campaigns}: the positive property cases "
        "get what the rest leave; a case past it is not tested"
    )
    if extra is not None:
        lines.append(
            f"  findings may add at most {extra.total} requests ({extra.reruns} re-runs, "
            f"{extra.replays} property replays"
            + (f", {extra.rate_limit} rate-limit retries" if extra.rate_limit else "")
            + f"): at most {requests + extra.total} in all"
        )
        if settings.max_requests is not None and requests + extra.total > settings.max_requests:
            lines.append(
                f"  MAX_REQUESTS={settings.max_requests} ends the run before that: "
                "what it leaves is reported not tested"
            )
    return lines
