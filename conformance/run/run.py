"""One run's state in one object. The pytest layer builds it, keeps it in its stash, forwards each
test's start and outcome; nothing else holds run state. It owns the settings, the targets'
guarded sessions and the ledger, the run memory, the budgets (requests, time, campaigns, the
re-run allowance), the optional inputs, the rate-limit proof and the events every report
subscribes to."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from conformance.checks.context import RunMemory
from conformance.checks.ratelimit import WindowProof, quiet_body
from conformance.checks.repeat import Allowance
from conformance.findings import CampaignBudgetSpent, ConformanceFailure, Kind
from conformance.run.api import MAIN_KEY, Api
from conformance.run.baseline import Accepted
from conformance.run.cost import RERUN_CAMPAIGNS, RERUN_REQUESTS, Cost, Plan
from conformance.run.events import Event, Events, FindingMade, TestFinished, TestStarted, Throttled
from conformance.run.inputs import Inputs
from conformance.run.ledger import Ledger
from conformance.run.outcomes import TestResult
from conformance.settings import Settings
from conformance.wire.exchange import Exchange
from conformance.wire.redact import Secrets
from conformance.wire.session import GuardedSession, RequestBudget

if TYPE_CHECKING:
    from conformance.reports.ending import EndError
    from conformance.reports.model import Report

# What the run sends before any test (the preflight, the vetting), filed under this name.
SETUP = "preflight"
T = TypeVar("T")


@dataclass(frozen=True)
class FailedCase:
    """The last property case that failed: Hypothesis sends a failing case once more to report
    it, and that replay must not turn the finding into "not tested" when the campaign budget
    ran out in between."""

    creates: bool
    body: Any
    failure: ConformanceFailure


@dataclass
class Run:
    run_id: str
    # Every key given, valid configuration or not: a stop message must not leak one either.
    given_secrets: list[str] = field(default_factory=list)
    events: Events = field(default_factory=Events)
    ledger: Ledger = field(default_factory=Ledger)
    settings: Settings | None = None
    budget: RequestBudget | None = None
    inputs: Inputs = field(default_factory=lambda: Inputs(Settings(None, None)))
    allowance: Allowance = field(default_factory=lambda: Allowance(RERUN_REQUESTS, RERUN_CAMPAIGNS))
    plan: Plan | None = None
    api: Api | None = None
    # The rate-limit proof from the main key's first window, and the test it is filed under
    # while it is still to be taken ("" once taken, or once the main key was throttled early).
    rate_proof: WindowProof | None = None
    proof_for: str = ""
    # The vetting's template probe (a campaign), for the template check to judge: no request
    # is sent twice.
    template_probe: tuple[dict[str, Any], Exchange] | None = None
    results: list[TestResult] = field(default_factory=list)
    stopped: str = ""  # why the rest of the run is not tested
    stop_requested: str = ""  # a subscriber's wish to end the run (the mutation check's)
    setup_error: str = ""
    accepted: Accepted = field(default_factory=Accepted)
    failed_case: FailedCase | None = None
    # A negative case was answered 2xx: later ones may create too, and draw on the budget.
    invalid_accepted: bool = False
    current_test: str = SETUP
    draws: Counter[str] = field(default_factory=Counter)  # campaign draws per test
    started: float = field(default_factory=time.time)
    report: Report | None = None  # the built report, once written
    end_errors: list[EndError] = field(default_factory=list)
    history_warning: str | None = None  # the history's one warning line, if any
    screen: bool = False  # a front end draws the screen (its verdict line says a stop too)
    # The suite's own words (the collected tests' names and the rule ids) that masking keeps.
    own_words: tuple[str, ...] = ()
    # Whatever the run started (a harness's target) is closed with it.
    stack: ExitStack = field(default_factory=ExitStack)

    def __post_init__(self) -> None:
        self.events.subscribe(self.ledger)
        self.events.subscribe(self._on_throttle)
        # The test a request counts against, when a thread of a concurrent batch says.
        self._local = threading.local()
        self._draw_lock = threading.Lock()

    @property
    def active(self) -> bool:
        """A conformance run (a target was asked for, or the run stopped trying)."""
        return self.settings is not None or bool(self.setup_error)

    def secrets(self) -> Secrets:
        """Every key to mask, and the suite's own words masking must keep (test names, ids)."""
        own = self.settings.secrets() if self.settings else []
        return Secrets(own + self.given_secrets, self.own_words)

    # --- targets ---------------------------------------------------------------------------
    def start(self, settings: Settings) -> Api:
        """The main target: its session is the run's clock for MAX_TIME."""
        self.settings = settings
        self.budget = RequestBudget(settings.max_requests, settings.max_time)
        self.inputs = Inputs(settings)
        self.api = self.target(settings)
        return self.api

    def target(self, settings: Settings, memory: RunMemory | None = None) -> Api:
        """A target of this run (the main one, or a harness's rate-limited sibling, which is
        another server and so has its own memory of ids and clients)."""
        assert self.budget is not None  # the main target is started first
        session = GuardedSession(settings, self.budget, self.events.publish, self._filing)
        return Api(self, settings, session, memory or RunMemory())

    def _filing(self) -> str:
        return getattr(self._local, "test", None) or self.current_test

    @contextmanager
    def filed_under(self, test: str) -> Iterator[None]:
        """The requests this thread sends inside count and are recorded under `test` (the
        rate-limit proof, taken at another test's boundary, is the rate-limit test's; each
        request of a concurrent batch is its own test's)."""
        outer = getattr(self._local, "test", None)
        self._local.test = test
        try:
            yield
        finally:
            self._local.test = outer

    def concurrently(
        self, jobs: Sequence[tuple[str, Callable[[], T]]], size: int
    ) -> list[T | BaseException]:
        """Each job (the test it counts against, what it sends) in a thread, `size` at a time;
        what each returned or raised, in order. Sending only: the tests judge their answers
        afterwards, one at a time."""

        def one(job: tuple[str, Callable[[], T]]) -> T | BaseException:
            with self.filed_under(job[0]):
                try:
                    return job[1]()
                except Exception as exc:  # the job's own test reports it
                    return exc

        if size <= 1:
            return [one(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=size) as pool:
            return list(pool.map(one, jobs))

    # --- campaigns -------------------------------------------------------------------------
    def campaigns_left(self) -> int:
        limit = self.settings.max_campaigns if self.settings else 0
        return max(0, limit - self.ledger.campaigns)

    def spend_campaign(self, intended: bool = True) -> None:
        """Before a request that may create a campaign: refused once the budget is spent.
        `intended`: the case means to create (it counts against its test's declaration), not a
        negative case drawing on the budget because the target created for an invalid body."""
        if self.campaigns_left() <= 0:
            limit = self.settings.max_campaigns if self.settings else 0
            raise CampaignBudgetSpent(
                f"campaign budget MAX_CAMPAIGNS={limit} spent: "
                "a case that would create one more is not sent"
            )
        if intended:
            with self._draw_lock:  # a concurrent batch's threads draw at once
                self.draws[self._filing()] += 1

    # --- tests -----------------------------------------------------------------------------
    def begin_test(self, test: str) -> None:
        self.current_test = test
        self.events.publish(TestStarted(test))
        api = self.api
        if self.proof_for and api is not None and api.session.key_wait(api.settings.api_key) > 0:
            self._take_proof()

    def end_test(self, result: TestResult) -> None:
        self.results.append(result)
        if result.kind is Kind.FAILED:  # a finding the baseline accepts is no finding made
            for finding in result.findings:
                self.events.publish(FindingMade(result.nodeid, finding))
        # The test's exchanges, and those of the run's own before it (in the order sent).
        taken = self.ledger.take(self.current_test, SETUP)
        self.events.publish(TestFinished(result, tuple(taken)))

    def overspent(self, test: str) -> str:
        """Why `test` spent more than it declared (its re-runs included), or ""."""
        declared = self.plan.tests.get(test) if self.plan is not None else None
        if declared is None:
            return ""
        reran = self.allowance.taken.get(test, (0, 0))
        allowed = declared.requests + declared.extra + reran[0]
        # The plan is before throttling: a 429 waited out and sent again is not the test's.
        spent = self.ledger.by_test[test] - self.ledger.throttled_by_test[test]
        drawn = self.draws[test]
        if spent > allowed:
            return f"sent {spent} requests, declared {allowed} (its cost marker)"
        # What a test may add (its `extra`) may create too.
        if drawn > declared.campaigns + declared.extra + reran[1]:
            return (
                f"drew {drawn} campaigns, declared {declared.campaigns + declared.extra + reran[1]}"
            )
        return ""

    def declared(self, test: str) -> Cost | None:
        return self.plan.tests.get(test) if self.plan is not None else None

    def request_stop(self, reason: str) -> None:
        """End the run after the current test (as `-x` does): a subscriber has what it needed."""
        self.stop_requested = reason

    # --- the rate-limit proof --------------------------------------------------------------
    def _on_throttle(self, event: Event) -> None:
        if isinstance(event, Throttled) and event.key_var == MAIN_KEY:
            self.proof_for = ""  # throttled early: no proof from this window

    def _take_proof(self) -> None:
        """Request N+1 of the main key's first window, at once; if refused, a request with
        another key whose own window has room, and a malformed body with the throttled key."""
        api, test = self.api, self.proof_for
        assert api is not None and self.settings is not None
        self.proof_for = ""
        served = self.settings.rate_limit or 0
        quiet = quiet_body(self.settings.name_prefix)
        with self.filed_under(test), api.session.rate_limit_probe():
            beyond = api.post(quiet)
            other = order = None
            if beyond.status == 429:
                if self.inputs.usable("OTHER_API_KEY") and not api.session.key_wait(
                    self.settings.other_api_key
                ):
                    other = api.post(quiet, key="OTHER_API_KEY")
                order = api.post(raw=b'{"name": ')
        self.rate_proof = WindowProof(served, beyond, other, order)
