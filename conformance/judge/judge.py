"""Judging recorded traffic: every exchange of a HAR file to the document's operation, in the
order it was sent, with every registered check whose evidence is in the traffic, at zero
requests. What each exchange had to get is what its case expected when the suite recorded it
(`_expect`), else what the contract's order of decisions says of its request
(`conformance/judge/oracle.py`); ids must be fresh across the file and `client.id` the same for
each key and different across clients; with RATE_LIMIT, each key's windows are counted."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conformance.checks.context import UNKNOWN_KEY, CheckContext, RunMemory, Sent
from conformance.checks.registry import judge
from conformance.contract.document import target_operation
from conformance.findings import Finding, Kind
from conformance.judge.har import entry_at, in_order
from conformance.judge.oracle import THROTTLED, expectation
from conformance.judge.traffic import Recorded, path_of, recorded
from conformance.run.outcomes import TestResult
from conformance.wire.exchange import Exchange


@dataclass(frozen=True)
class Config:
    keys: dict[str, str]  # variable -> key, for an outside HAR that holds them in clear
    template_id: str | None = None
    rate_limit: int | None = None
    rate_window: float = 60.0


@dataclass
class Windows:
    """Each key's requests that counted against its limit, by when they were sent."""

    limit: int
    seconds: float
    served: dict[str, deque[float]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    over: set[str] = field(default_factory=set)

    def judge(self, key: str, exchange: Exchange) -> list[str]:
        """What breaks rate.limit at this exchange: a 429 with fewer than the limit served in
        the window before it (when the file holds that whole window), or more served within
        one window than even a fixed window that ended in the middle can let through (2N)."""
        at = exchange.sent_at
        log = self.served.setdefault(key, deque())
        self.first.setdefault(key, at)
        while log and log[0] <= at - self.seconds:
            log.popleft()
        if exchange.status == THROTTLED:
            whole = self.first[key] <= at - self.seconds
            if whole and len(log) < self.limit:
                return [
                    f"{key}: refused after {len(log)} request(s) in the {self.seconds:g} s "
                    f"before it; the limit is {self.limit}"
                ]
            return []
        log.append(at)
        if len(log) > 2 * self.limit and key not in self.over:
            self.over.add(key)
            return [
                f"{key}: {len(log)} requests served within {self.seconds:g} s; the limit is "
                f"{self.limit} (a fixed window ending mid-burst lets through {2 * self.limit} "
                "at most)"
            ]
        return []


@dataclass
class Judged:
    results: list[TestResult] = field(default_factory=list)
    entries: int = 0  # entries in the file
    judged: int = 0  # exchanges to the operation, judged
    cases: Counter[str] = field(default_factory=Counter)  # exchanges each rule was judged on
    # Every key the file holds (in clear in an outside HAR): masked in every output.
    keys: set[str] = field(default_factory=set)


def _exchanges(path: Path, config: Config) -> Iterator[tuple[int, Recorded | None]]:
    operation = target_operation()
    with path.open("rb") as handle:
        for placed in in_order(path):
            found = recorded(entry_at(handle, placed.offset), config.keys)
            if (
                found is None
                or found.exchange.method != operation.method.upper()
                or not path_of(found.exchange.url).endswith(operation.path)
            ):
                yield placed.index, None
            else:
                yield placed.index, found


def judge_file(path: Path, config: Config) -> Judged:
    """Every exchange to the operation judged; the file is read twice, never held whole."""
    out = Judged()
    memory = RunMemory()
    windows = Windows(config.rate_limit, config.rate_window) if config.rate_limit else None
    for index, found in _exchanges(path, config):
        out.entries += 1
        if found is None:
            continue
        out.judged += 1
        if found.key:
            out.keys.add(found.key)
        test = f"{path.name}#{index}"
        exchange = found.exchange
        sent = Sent.of(exchange)
        if found.truncated:
            reason = "the recorder cut a body of this exchange: it cannot be judged whole"
            out.results.append(TestResult(test, (), Kind.NOT_TESTED, reason=reason))
            continue
        expect = found.expect
        if expect is None and not found.masked:
            expect = expectation(sent, exchange.request_body, config.template_id)
        ctx = CheckContext(sent, memory, expect, config.rate_window)
        rules: list[str] = []

        def seen(_: Exchange, judged: Iterable[str], rules: list[str] = rules) -> None:
            rules.extend(judged)

        findings = judge(ctx, exchange, judged=seen)
        if windows is not None and sent.key not in (None, UNKNOWN_KEY):
            rules.append("rate.limit")
            if problems := windows.judge(sent.key or "", exchange):
                findings.append(Finding("rate.limit", tuple(problems), exchange))
        declared = tuple(dict.fromkeys(rules))
        out.cases.update(declared)
        kind = Kind.FAILED if findings else Kind.PASSED
        out.results.append(TestResult(test, declared, kind, tuple(findings)))
    out.results += _across_clients(memory, path)
    return out


def _across_clients(memory: RunMemory, path: Path) -> list[TestResult]:
    """semantic.client across the file: the main key's client and another key's differ."""
    mine, theirs = memory.client_ids.get("API_KEY"), memory.client_ids.get("OTHER_API_KEY")
    if not mine or not theirs:
        return []
    test, rule = f"{path.name}#clients", ("semantic.client",)
    shared = sorted(mine & theirs)
    if not shared:
        return [TestResult(test, rule, Kind.PASSED)]
    what = (f"API_KEY's and OTHER_API_KEY's campaigns carry the same client.id {shared[0]}",)
    return [TestResult(test, rule, Kind.FAILED, (Finding("semantic.client", what),))]
