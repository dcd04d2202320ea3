"""The bench's runners: bounded child processes, a reference server per run, the gate, and
plain Schemathesis (its CLI and its NDJSON report).

Requests until Schemathesis's first failure are read from its own NDJSON events: each request a
test case sends is recorded as an interaction with a timestamp, each check result against a case
id. The first failure is the earliest failing case (including the probes a check sends on its
behalf, such as `ignored_auth`'s unauthenticated retry); the count is every interaction up to it.
Its capability probes (one or two requests before any test) are not test cases and not counted
there; the cost of a whole run counts them, since they reach the target too.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.reports.model import Report
from conformance.run.settings import DOCUMENT
from harness.embedded import EmbeddedKeys, embedded_server
from tooling.childenv import child_env
from tooling.childrun import run_bounded, run_suite

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The bench's own servers take ports below the kernel's ephemeral range (32768 and up), where the
# gate's embedded servers and every client socket get theirs; each job slot has its own block,
# so parallel runs never race for a port.
PORT_BASE = 21000
PORTS_PER_SLOT = 100
TOOL_PACKAGES = ("schemathesis", "hypothesis", "pytest")


@dataclass
class Run:
    """One run of one tool against one server; `requests` is to the first failure, or all sent."""

    tool: str
    defect: str
    seed: int
    detected: bool
    requests: int
    seconds: float
    first_failure: str = ""
    error: str = ""
    # Time inside the tool's own run (its report), without process start-up.
    in_run_seconds: float = 0.0
    # Campaigns created (201s) up to the first failure, or in the whole run.
    campaigns: int = 0
    # The gate's failed rules (from its conformance.json), to tell a defect's own rule apart.
    failed_rules: list[str] = field(default_factory=list)
    exit_status: int | None = None


_next_port: dict[int, int] = defaultdict(int)


def _claim_port(slot: int) -> int:
    for _ in range(PORTS_PER_SLOT):
        port = PORT_BASE + slot * PORTS_PER_SLOT + _next_port[slot] % PORTS_PER_SLOT
        _next_port[slot] += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue  # taken by something else: try the next one of this slot
    raise RuntimeError(f"no free port in job slot {slot}'s block")


def reference_server(slot: int, keys: EmbeddedKeys, defect: str, rate_limit: int) -> Any:
    """A fresh reference server on a loopback port of this job slot; yields its base URL."""
    return embedded_server(keys, rate_limit=rate_limit, defect=defect, port=_claim_port(slot))


@dataclass
class Outcome:
    """What one Schemathesis NDJSON report says."""

    detected: bool
    requests: int  # to the first failure, or every interaction when there is none
    first_failure: str = ""
    running_time: float = 0.0
    campaigns: int = 0  # 201s among those requests
    sent: int = 0  # every interaction of the run, failures or not
    created: int = 0  # every 201 of the run
    probes: int = 0  # capability probes answered before any test


def _subtree(case_id: str, children: dict[str, list[str]]) -> list[str]:
    todo, seen = [case_id], []
    while todo:  # bounded: each case has one parent, so each id is visited once
        current = todo.pop()
        seen.append(current)
        todo += [c for c in children.get(current, []) if c not in seen]
    return seen


def parse_ndjson(lines: Iterable[str]) -> Outcome:
    stamps: list[tuple[float, bool]] = []  # (time, created) of every interaction
    first: tuple[float, str] | None = None
    running_time, probes = 0.0, 0
    for line in lines:
        if not line.strip():
            continue
        event: dict[str, Any] = json.loads(line)
        if "EngineFinished" in event:
            running_time = float(event["EngineFinished"].get("running_time") or 0.0)
        payload = event.get("PhaseFinished", {}).get("payload") or {}
        probes += sum(1 for p in payload.get("probes", []) if p.get("response"))
        recorder = event.get("ScenarioFinished", {}).get("recorder")
        if not recorder:
            continue
        interactions = recorder.get("interactions", {})
        at = {cid: float(i["timestamp"]) for cid, i in interactions.items()}
        stamps += [(float(i["timestamp"]), _created(i)) for i in interactions.values()]
        children: dict[str, list[str]] = defaultdict(list)
        for cid, node in recorder.get("cases", {}).items():
            if node.get("parent_id"):
                children[node["parent_id"]].append(cid)
        for cid, checks in recorder.get("checks", {}).items():
            failed = [c for c in checks if c.get("status") == "failure"]
            if not failed:
                continue
            # The verdict needs every request of the case and of the probes sent for it.
            when = [at[c] for c in _subtree(cid, children) if c in at]
            done = max(when) if when else max(at.values(), default=math.inf)
            title = ((failed[0].get("failure_info") or {}).get("failure") or {}).get("title", "")
            label = f"{failed[0]['name']}: {title}" if title else failed[0]["name"]
            if first is None or done < first[0]:
                first = (done, label)
    created = sum(c for _, c in stamps)
    totals = {"sent": len(stamps), "created": created, "probes": probes}
    if first is None:
        return Outcome(False, len(stamps), "", running_time, created, **totals)
    upto = [c for t, c in stamps if t <= first[0]]
    return Outcome(True, len(upto), first[1], running_time, sum(upto), **totals)


def _created(interaction: dict[str, Any]) -> bool:
    return (interaction.get("response") or {}).get("status_code") == 201


# All checks, stop at the first failure. One worker: requests in a known order, as the suite's
# one session sends them. No shrinking: it only adds time after the detection. No example
# database: a run must not replay a failure an earlier run found.
ST_OPTIONS = "--checks all --max-failures 1 --workers 1 --no-shrink --generation-database none"
ST_OPTIONS += " --report ndjson --no-color"


def schemathesis_cmd(url: str, key: str, seed: int, max_examples: int, report: Path) -> list[str]:
    return [
        *(str(SCHEMATHESIS), "run", str(DOCUMENT), "--url", url, "--header", f"x-api-key: {key}"),
        *("--seed", str(seed), "--max-examples", str(max_examples)),
        *(*ST_OPTIONS.split(), "--report-ndjson-path", str(report)),
    ]


def schemathesis_on(
    url: str, key: str, defect: str, seed: int, max_examples: int, timeout: float
) -> Run:
    """Plain Schemathesis against a running server; `seconds` is the CLI's alone."""
    with tempfile.TemporaryDirectory(prefix="bench-st-") as tmp:
        report = Path(tmp) / "events.ndjson"
        started = time.monotonic()
        code, out = run_bounded(
            schemathesis_cmd(url, key, seed, max_examples, report), {**os.environ}, timeout
        )
        seconds = round(time.monotonic() - started, 2)
        run = Run("schemathesis", defect, seed, False, 0, seconds)
        if code is None:
            run.error = f"timed out after {timeout:.0f}s"
        if not report.exists():
            run.error = run.error or f"no report (exit {code}): {out.strip()[-200:]}"
            return run
        with report.open(encoding="utf-8") as lines:
            outcome = parse_ndjson(lines)
    run.detected, run.requests, run.campaigns = (
        outcome.detected,
        outcome.requests,
        outcome.campaigns,
    )
    run.first_failure, run.in_run_seconds = outcome.first_failure, round(outcome.running_time, 2)
    if code == 1 and not outcome.detected:
        run.error = "exit 1 without a failing check (an error, not a finding)"
    return run


def run_schemathesis(
    defect: str, seed: int, slot: int, max_examples: int, timeout: float, rate_limit: int
) -> Run:
    """Plain Schemathesis against its own fresh server; `seconds` includes the server's start,
    as the gate's include its embedded server's."""
    keys = EmbeddedKeys.fresh()
    started = time.monotonic()
    with reference_server(slot, keys, defect, rate_limit) as url:
        run = schemathesis_on(url, keys.api_key, defect, seed, max_examples, timeout)
        run.seconds = round(time.monotonic() - started, 2)
    return run


GATE_ARGS = ("-x", "-q")


def first_failed_test(report: Report) -> str:
    """The first failed test of a run, from its conformance.json (in run order)."""
    return next((r.test for r in report.results if r.outcome == "failed"), "")


def run_gate(
    defect: str,
    seed: int,
    timeout: float,
    target: dict[str, str] | None = None,
    *,
    depth: str = "gate",
    first_failure: bool = True,
) -> Run:
    """The suite at `depth`, stopping at its first failure (`-x`) unless `first_failure` is
    off; `target` names a running server, else the suite starts its own (which inherits
    REFSERVER_DEFECT)."""
    # The gate's configuration comes from the bench alone, never from the caller's environment:
    # DEPTH is set even for the default, since child_env passes an inherited one through.
    args = GATE_ARGS if first_failure else tuple(a for a in GATE_ARGS if a != "-x")
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        env = child_env(SEED=str(seed), DERANDOMIZE="1", PYTHONHASHSEED="0")
        env.update({"REFSERVER_DEFECT": defect} if defect else {}, **(target or {}), DEPTH=depth)
        child = run_suite(Path(tmp), *args, env=env, timeout=timeout)
        code = child.code
        run = Run("gate", defect, seed, code == 1, 0, child.seconds)
        run.exit_status = code
        info = Path(tmp) / "run.json"
        doc = child.report()
        if doc is not None:
            run.first_failure = first_failed_test(doc)
            run.requests = doc.requests.sent
            run.campaigns = doc.requests.campaigns_created
            run.failed_rules = [r.rule for r in doc.rules if r.failed]
            run.in_run_seconds = json.loads(info.read_text(encoding="utf-8"))["seconds"]
    if code not in (0, 1):
        run.error = f"timed out after {timeout:.0f}s" if code is None else f"exit {code}"
    return run
