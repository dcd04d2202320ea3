"""What a run will spend, declared where it is spent: each test declares its requests and
campaigns (and what a finding may add to it), the run its own preflight and vetting; the plan is
their sum, plus the re-run allowance findings may draw on. The run holds each test to its
declaration: a test that spends more is a suite error naming it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conformance.settings import Settings

# Re-runs of failing cases (checks/repeat.py): one per broken rule, within these, so a
# constant defect breaking forty cases does not double the requests; the campaigns are
# reserved in the campaign budget, so a finding never costs another rule its campaigns.
RERUN_REQUESTS = 10
RERUN_CAMPAIGNS = 3


@dataclass(frozen=True)
class Cost:
    requests: int = 1
    campaigns: int = 0
    # What a finding may add to this test alone (a property phase's replay, the rate-limit
    # check's fallback window); re-runs draw on the run's allowance instead.
    extra: int = 0
    why: str = ""  # what the extra is for, as the plan names it

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.requests + other.requests,
            self.campaigns + other.campaigns,
            self.extra + other.extra,
        )


@dataclass(frozen=True)
class Plan:
    """The run's declared costs by part (a test module, the preflight, the vetting), and by
    test for holding each to its own."""

    parts: Mapping[str, Cost]
    tests: Mapping[str, Cost]
    reruns: int = RERUN_REQUESTS
    reserved_campaigns: int = RERUN_CAMPAIGNS
    # What goes n at a time, by what it is (a test's `concurrent` marker).
    concurrency: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Cost:
        return sum(self.parts.values(), Cost(0, 0, 0))

    @property
    def findings_may_add(self) -> int:
        return self.reruns + self.total.extra

    @property
    def at_most(self) -> int:
        """The most requests the run sends, whatever the target does."""
        return self.total.requests + self.findings_may_add

    def describe(self, settings: Settings) -> list[str]:
        total = self.total
        extras: dict[str, int] = {}
        for cost in self.tests.values():
            if cost.extra:
                extras[cost.why] = extras.get(cost.why, 0) + cost.extra
        rate = settings.rate_limit or 60
        lines = [
            f"  {name:<18} {c.requests:>5} requests {c.campaigns:>4} campaigns"
            for name, c in self.parts.items()
        ]
        # Paced per key, a window's share back to back: the floor is the windows the busiest
        # key needs (every request on one key, at most), not one request a second.
        windows = max(0, -(-total.requests // rate) - 1)
        lines.append(
            f"  {'total':<18} {total.requests:>5} requests {total.campaigns:>4} campaigns; "
            f"at {rate}/min the pace alone takes at most about "
            f"{windows * settings.rate_window:.0f} s"
        )
        lines.append(
            f"  campaign budget MAX_CAMPAIGNS={settings.max_campaigns}: "
            f"{self.reserved_campaigns} kept for re-runs, the positive property cases get "
            "what the rest leave; a case past it is not tested"
        )
        named = ", ".join(f"{n} {why}" for why, n in extras.items())
        lines.append(
            f"  findings may add at most {self.findings_may_add} requests ({self.reruns} for "
            "re-runs and culprit searches"
            + (f", {named}" if named else "")
            + f"): at most {self.at_most} in all"
        )
        if self.concurrency:
            batches = "; ".join(f"{what}: {n} at once" for what, n in self.concurrency.items())
            lines.append(f"  concurrent: {batches} (never more than the pace leaves in a window)")
        limit = settings.max_requests
        if limit is not None and self.at_most > limit:
            lines.append(
                f"  MAX_REQUESTS={limit} ends the run before that: what it leaves is reported "
                "not tested"
            )
        return lines


def part_of(test: str) -> str:
    """The part a test belongs to: its module's name."""
    return test.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


def plan(own: Mapping[str, Cost], tests: Iterable[tuple[str, Cost]]) -> Plan:
    """The run's own parts first, then each test's declaration summed into its module's part."""
    parts = dict(own)
    by_test = {}
    for test, cost in tests:
        by_test[test] = cost
        part = part_of(test)
        parts[part] = parts.get(part, Cost(0, 0, 0)) + cost
    return Plan(parts, by_test)
