"""The run history: one record per run in an SQLite file (`HISTORY_DB`, default
`<REPORTS_DIR>/history.sqlite`, `off` for none), so a run can say what is new since the last
one, what persists, what was fixed and what is flaky (`reports/compare.py`).

A record is written in one transaction (WAL mode, a busy timeout), so runs writing at once lose
nothing. The schema is versioned (`PRAGMA user_version`) and migrated forward; the file carries
an application id, so a foreign SQLite file is never taken for ours. The history never decides
a verdict: a corrupt or foreign file is moved aside (its new name said in one warning line), a
file locked for too long or from a newer suite is left alone, and the run goes on."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conformance.reports import model as m
from conformance.reports.compare import Past, compare

APPLICATION_ID = 0x43434346  # "CCCF": CareCycle conformance
BUSY_TIMEOUT_S = 10.0
KEEP_DEFAULT = 365
CHART_RUNS = 30
# Each migration takes the schema from its index to the next; run in order, in one transaction.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            started TEXT NOT NULL,
            target TEXT NOT NULL,
            contract_sha256 TEXT NOT NULL,
            suite_version TEXT NOT NULL,
            depth TEXT NOT NULL,
            seed INTEGER NOT NULL,
            exit_status INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            campaigns INTEGER NOT NULL,
            throttled INTEGER NOT NULL,
            faults INTEGER NOT NULL,
            broken INTEGER NOT NULL,
            not_tested INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            p50_ms REAL, p95_ms REAL, p99_ms REAL, max_ms REAL)""",
        "CREATE INDEX runs_by_target ON runs (target, contract_sha256, started, id)",
        """CREATE TABLE rules (
            run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            rule TEXT NOT NULL, verdict TEXT NOT NULL, cases INTEGER NOT NULL,
            passed INTEGER NOT NULL, failed INTEGER NOT NULL, accepted INTEGER NOT NULL,
            transport INTEGER NOT NULL, not_tested INTEGER NOT NULL, off INTEGER NOT NULL,
            suite_error INTEGER NOT NULL, PRIMARY KEY (run, rule))""",
        """CREATE TABLE findings (
            run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            rule TEXT NOT NULL, signature TEXT NOT NULL)""",
        "CREATE INDEX findings_by_run ON findings (run)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_COUNTS = ("cases", "passed", "failed", "accepted", "transport", "not_tested", "off", "suite_error")


@dataclass(frozen=True)
class Latency:
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, elapsed: list[float]) -> Latency:
        """Nearest-rank percentiles of the run's round trips, in milliseconds."""
        if not elapsed:
            return cls(None, None, None, None)
        ms = sorted(e * 1000 for e in elapsed)

        def rank(p: float) -> float:
            return round(ms[max(0, int(-(-len(ms) * p // 100)) - 1)], 2)

        return cls(rank(50), rank(95), rank(99), round(ms[-1], 2))


@dataclass(frozen=True)
class RunRecord:
    """What one run leaves in the history."""

    report: m.Report
    target: str
    contract_sha256: str
    suite_version: str
    depth: str
    latency: Latency

    def signatures(self) -> list[tuple[str, str]]:
        """(rule, signature) per finding: the test without the run's own id, and its class."""
        run_id = self.report.run.run_id
        return [
            (row.rule, f"{f.test.replace(run_id, '<run>')}|{'accepted' if f.accepted_by else 'failed'}")
            for row in self.report.rules
            for f in row.findings
        ]


class HistoryUnavailable(Exception):
    """The history could not be used; the message is the run's one warning line. `moved`: the
    file was moved aside, so a fresh one can be started at the same path."""

    def __init__(self, message: str, moved: bool = False) -> None:
        super().__init__(message)
        self.moved = moved


def resolve(env: Mapping[str, str], reports_dir: Path) -> tuple[Path | None, int]:
    """(the database path or None when off, how many runs per target to keep)."""
    raw = env.get("HISTORY_DB", "").strip()
    path = None if raw.lower() == "off" else Path(raw) if raw else reports_dir / "history.sqlite"
    keep_raw = env.get("HISTORY_KEEP", "").strip()
    keep = int(keep_raw) if keep_raw.isdigit() and int(keep_raw) > 0 else KEEP_DEFAULT
    return path, keep


def _aside(path: Path, why: str) -> HistoryUnavailable:
    """Move an unusable file out of the way (never overwritten), saying where it went."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.{why}-{stamp}-{n}"), n + 1
    try:
        path.rename(target)
    except OSError as exc:
        return HistoryUnavailable(f"history {path} is {why} and could not be moved aside: {exc}")
    for suffix in ("-wal", "-shm"):  # its journal belongs to it, not to the new file
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return HistoryUnavailable(
        f"history {path} is {why}: moved aside to {target}; a new history starts", moved=True
    )


def connect(path: Path, busy_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """The history, opened and migrated; HistoryUnavailable when it cannot be used.

    SQLite skips the busy handler in some WAL moments (another writer creating
    the file, switching it to WAL, or checkpointing as it closes): those answer
    "locked" at once, so a lock is retried here until ``busy_s`` has passed.
    """
    deadline = time.monotonic() + busy_s
    pause = 0.01
    while True:
        try:
            # Each attempt waits only what the deadline has left: busy_s in all, not per try.
            conn = _connect_once(path, max(0.05, deadline - time.monotonic()))
            # The caller's own transactions get the whole wait again.
            conn.execute(f"PRAGMA busy_timeout = {int(busy_s * 1000)}")
            return conn
        except _Locked as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HistoryUnavailable(
                    f"history {path} stayed locked for {busy_s:g} s: this run not recorded"
                ) from exc.__cause__
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.25)


class _Locked(Exception):
    """Another connection held the file; worth trying again."""


def _connect_once(path: Path, busy_s: float) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=busy_s, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_s * 1000)}")
        # The mode persists in the file: switching needs a lock, so only the first run asks.
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app != APPLICATION_ID and (tables or version):
            conn.execute("ROLLBACK")
            conn.close()
            raise _aside(path, "foreign")
        if version > SCHEMA_VERSION:
            conn.execute("ROLLBACK")
            conn.close()
            raise HistoryUnavailable(
                f"history {path} has schema {version}, newer than this suite's "
                f"{SCHEMA_VERSION}: left as it is, this run not recorded"
            )
        for step in MIGRATIONS[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        # Locked, read-only, unopenable: the file may be sound, so it stays where it is.
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise _Locked() from exc
        raise HistoryUnavailable(f"history {path}: {exc}: this run not recorded") from exc
    except sqlite3.DatabaseError as exc:  # not a database, or a malformed one
        conn.close()
        raise _aside(path, "corrupt") from exc
    return conn


def _past(conn: sqlite3.Connection, target: str, contract: str, limit: int) -> list[Past]:
    rows = conn.execute(
        "SELECT id, run_id, started, exit_status, broken, not_tested, passed, p50_ms, p95_ms "
        "FROM runs WHERE target = ? AND contract_sha256 = ? ORDER BY started DESC, id DESC "
        "LIMIT ?",
        (target, contract, limit),
    ).fetchall()
    past = []
    for row in reversed(rows):
        verdicts = dict(conn.execute("SELECT rule, verdict FROM rules WHERE run = ?", (row[0],)))
        past.append(Past(m.RunPoint(*row[1:]), verdicts))
    return past


def _streaks(
    conn: sqlite3.Connection, target: str, contract: str, rules: list[str]
) -> dict[str, tuple[str, int]]:
    """Per rule, (the start of the earliest, how many) of the earlier runs in a row, up to the
    last one, that broke it: a persisting rule's age beyond the charts' window."""
    out = {}
    for rule in rules:
        rows = conn.execute(
            "SELECT started FROM runs AS r WHERE target = ? AND contract_sha256 = ? AND "
            "(started, id) > (SELECT coalesce(max(started), ''), coalesce(max(id), 0) FROM ("
            "  SELECT started, id FROM runs AS q WHERE target = ? AND contract_sha256 = ? AND"
            "  NOT EXISTS (SELECT 1 FROM rules WHERE run = q.id AND rule = ? AND verdict = 'failed')"
            "  ORDER BY started DESC, id DESC LIMIT 1)) ORDER BY started, id",
            (target, contract, target, contract, rule),
        ).fetchall()
        if rows:
            out[rule] = (rows[0][0], len(rows))
    return out


def _insert(conn: sqlite3.Connection, rec: RunRecord) -> None:
    report, lat = rec.report, rec.latency
    v, req = report.verdicts, report.requests
    cur = conn.execute(
        "INSERT INTO runs (run_id, started, target, contract_sha256, suite_version, depth, seed, "
        "exit_status, requests, campaigns, throttled, faults, broken, not_tested, passed, "
        "p50_ms, p95_ms, p99_ms, max_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            report.run.run_id, report.run.started, rec.target, rec.contract_sha256,
            rec.suite_version, rec.depth, report.run.seed, report.run.exit_status, req.sent,
            req.campaigns_created, req.throttled, len(req.transport_errors), v.failed,
            v.not_tested, v.passed, lat.p50_ms, lat.p95_ms, lat.p99_ms, lat.max_ms,
        ),
    )  # fmt: skip
    run = cur.lastrowid
    conn.executemany(
        f"INSERT INTO rules (run, rule, verdict, {', '.join(_COUNTS)}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(run, r.rule, r.verdict, *(getattr(r, c) for c in _COUNTS)) for r in report.rules],
    )
    conn.executemany(
        "INSERT INTO findings (run, rule, signature) VALUES (?,?,?)",
        [(run, rule, sig) for rule, sig in rec.signatures()],
    )


def _prune(conn: sqlite3.Connection, target: str, keep: int) -> None:
    """At most `keep` runs of this target, the newest."""
    conn.execute(
        "DELETE FROM runs WHERE target = ? AND id NOT IN (SELECT id FROM runs WHERE target = ? "
        "ORDER BY started DESC, id DESC LIMIT ?)",
        (target, target, keep),
    )


def remember(
    path: Path, rec: RunRecord, keep: int, busy_s: float = BUSY_TIMEOUT_S
) -> m.History:
    """Record the run and compare it with the earlier runs of its target and contract, all in
    one transaction; HistoryUnavailable (the warning line) when the file cannot be used."""
    conn = connect(path, busy_s)
    try:
        conn.execute("BEGIN IMMEDIATE")
        past = _past(conn, rec.target, rec.contract_sha256, CHART_RUNS - 1)
        broken = [r.rule for r in rec.report.broken]
        streaks = _streaks(conn, rec.target, rec.contract_sha256, broken)
        _insert(conn, rec)
        _prune(conn, rec.target, keep)
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        raise HistoryUnavailable(f"history {path}: {exc}: this run not recorded") from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _aside(path, "corrupt") from exc
    finally:
        conn.close()
    return compare(
        str(path), past, rec.report, rec.latency.p50_ms, rec.latency.p95_ms, streaks
    )


def runs(path: Path, target: str, limit: int) -> list[Past]:
    """The last runs of a target (any contract), oldest first, read-only: for `make history`."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        rows = conn.execute(
            "SELECT DISTINCT contract_sha256 FROM runs WHERE target = ?", (target,)
        ).fetchall()
        out = [p for (c,) in rows for p in _past(conn, target, c, limit)]
    finally:
        conn.close()
    return sorted(out, key=lambda p: p.point.started)[-limit:]


def targets(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        return [t for (t,) in conn.execute("SELECT DISTINCT target FROM runs ORDER BY target")]
    finally:
        conn.close()
