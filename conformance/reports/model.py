"""The report as a typed model: what `conformance.json` holds, written from these dataclasses
and read back into them by every renderer, tool and selftest. Its JSON Schema is generated from
the same classes (`reports/schema.py`) and kept in the repository; `SCHEMA_VERSION` changes with
any change a reader must know of."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conformance.reports.typed import from_json

SCHEMA_VERSION = 2
VERDICTS = ("failed", "not tested", "off", "no case", "passed")
LABELS = ("new", "persisting", "flaky")


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str | None
    body: str


@dataclass(frozen=True)
class FindingRow:
    test: str
    what: tuple[str, ...]
    hint: str
    # A failing case sent again: "reproduced (k of n)" or "intermittent (k of n)"; "" if not.
    repeat: str
    reproduce: str | None
    response: Response | None
    accepted_by: str | None


@dataclass(frozen=True)
class RuleRow:
    rule: str
    text: str
    section: str
    verdict: str  # one of VERDICTS
    cases: int
    passed: int
    failed: int
    accepted: int
    transport: int
    not_tested: int
    off: int
    suite_error: int
    findings: tuple[FindingRow, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ResultRow:
    """One test's outcome, in run order."""

    test: str
    outcome: str
    rules: tuple[str, ...]
    broken: tuple[str, ...]


@dataclass(frozen=True)
class SuiteError:
    """An exception of the suite's own code: never a finding against the target."""

    test: str
    error: str
    traceback: str


@dataclass(frozen=True)
class TransportFault:
    test: str
    url: str
    reason: str
    kind: str  # conformance.wire.faults: tls-certificate, deadline, framing, reset...


@dataclass(frozen=True)
class FaultGroup:
    """Transport faults of one kind, grouped the way findings are: its count and first case."""

    kind: str
    count: int
    test: str
    reason: str


@dataclass(frozen=True)
class MaybeCreated:
    time: str
    test: str


@dataclass(frozen=True)
class Part:
    requests: int
    campaigns: int


@dataclass(frozen=True)
class Requests:
    sent: int
    throttled: int
    throttle_wait_s: float
    pace_wait_s: float
    transport_errors: tuple[TransportFault, ...]
    transport_faults: tuple[FaultGroup, ...]
    campaigns_created: int
    by_part: dict[str, Part]
    maybe_created: tuple[MaybeCreated, ...]


@dataclass(frozen=True)
class Tally:
    """Tests by outcome."""

    passed: int
    failed: int
    accepted: int
    transport: int
    not_tested: int
    off: int
    suite_error: int


@dataclass(frozen=True)
class RuleVerdicts:
    """Rules by verdict: what every renderer shows, counted once."""

    failed: int
    not_tested: int
    off: int
    no_case: int
    passed: int


@dataclass(frozen=True)
class Budget:
    max_requests: int | None
    max_time: float
    max_campaigns: int
    # The plan's "at most": planned requests plus what findings may add (None: no plan made).
    planned_at_most: int | None


@dataclass(frozen=True)
class StaleEntry:
    id: str
    check: str
    signature: str


@dataclass(frozen=True)
class BaselineUse:
    file: str
    accepted: tuple[str, ...]
    stale: tuple[StaleEntry, ...]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    seed: int
    target: str | None
    started: str
    seconds: float
    budget: Budget
    # What the start line promised at most (the plan), for a reader to hold the run to it.
    planned: Part
    exit_status: int
    exit_meaning: str
    setup_error: str | None
    not_covered: str | None
    reproduce_note: str | None
    baseline: BaselineUse
    # A strict gate (never conforming with a rule off), the rules off, those accepted off.
    strict: bool
    rules_off: tuple[str, ...]
    allowed_off: tuple[str, ...]


@dataclass(frozen=True)
class RuleLabel:
    """A broken rule compared with the earlier runs of the same target and contract."""

    rule: str
    label: str  # one of LABELS
    since: str | None  # persisting: the start of the first run of the streak
    runs: int  # persisting: how many runs in a row, this one included

    @property
    def words(self) -> str:
        if self.label == "persisting":
            return f"persisting since {(self.since or '')[:10]} ({self.runs} runs)"
        return self.label


@dataclass(frozen=True)
class RunPoint:
    """One recorded run, for the History charts (oldest first)."""

    run_id: str
    started: str
    exit_status: int
    broken: int
    not_tested: int
    passed: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class History:
    """This run against the earlier runs of the same target and contract (`HISTORY_DB`)."""

    db: str
    previous_run: str | None  # None: the first run recorded for this target and contract
    previous_started: str | None
    labels: tuple[RuleLabel, ...]  # one per broken rule
    fixed: tuple[str, ...]  # broken in the previous run, passed in this one
    runs: tuple[RunPoint, ...]  # the last runs, this one included, oldest first

    def label(self, rule: str) -> RuleLabel | None:
        return next((x for x in self.labels if x.rule == rule), None)

    @property
    def new(self) -> list[str]:
        return [x.rule for x in self.labels if x.label == "new"]


@dataclass(frozen=True)
class Report:
    schema_version: int
    operation: str
    run: RunInfo
    requests: Requests
    tests: Tally
    verdicts: RuleVerdicts
    # Every test's outcome in run order, for tools (the bench's first failure) to read.
    results: tuple[ResultRow, ...]
    rules: tuple[RuleRow, ...]
    suite_errors: tuple[SuiteError, ...]
    # The comparison with earlier runs; None when HISTORY_DB is off or could not be read.
    history: History | None = None

    @property
    def broken(self) -> list[RuleRow]:
        return [r for r in self.rules if r.verdict == "failed"]

    @property
    def verdict_word(self) -> str:
        """The run's verdict in a word or two: the part of the exit meaning before its colon."""
        return self.run.exit_meaning.split(":", 1)[0] or f"exit status {self.run.exit_status}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"report schema_version {version!r}; this suite reads {SCHEMA_VERSION}")
        report: Report = from_json(cls, data)
        return report

    @classmethod
    def load(cls, path: Path) -> Report:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
