"""The bench on the clean reference server: what one run costs the user (requests reaching the
target, campaigns created, and the wall time a run paced at the vendor's 60 requests/min would
take) for the gate, the nightly depth and plain Schemathesis's default run; and the time per
request of the two tools on one server. Also what a kept run depends on (fingerprint, tree).

The paced wall time is computed, never waited for: at PACE requests/min each request costs
60/PACE s of pacing, added to the run's measured unpaced wall time (process and server start
included). That is the floor the pace sets; the rate-limit check's own quiet window, which a
target with RATE_LIMIT set adds, is not in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from conformance.run.settings import DOCUMENT, ROOT
from harness.embedded import EmbeddedKeys
from tooling.bench_schemathesis import (
    SCHEMATHESIS,
    TOOL_PACKAGES,
    Run,
    parse_ndjson,
    reference_server,
    run_gate,
    schemathesis_on,
)
from tooling.childrun import run_bounded

PACE = 60  # requests per minute: the vendor's limit, which the suite's pacing follows
GATE_REQUESTS_MAX, GATE_CAMPAIGNS_MAX = 150, 30  # the targets for one gate run
# The nightly depth is bounded by its own budget (MAX_REQUESTS=1000); this caps its wall too,
# so the bench stays within minutes even on a slow machine.
NIGHTLY_TIMEOUT = 240.0
# What each cost row runs: the suite at a depth, or Schemathesis with its defaults.
COST_KINDS = ("gate", "nightly", "schemathesis")
COST_LABELS = {
    "gate": "gate (`make gate`, DEPTH=gate)",
    "nightly": "nightly (`make nightly`, DEPTH=nightly)",
    "schemathesis": "plain Schemathesis, default run",
}


def median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered, mid = sorted(values), len(values) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def paced_seconds(requests: float, unpaced_s: float, per_minute: int = PACE) -> float:
    return requests * 60 / per_minute + unpaced_s


# Schemathesis as a user would first run it: its defaults (every phase, 100 examples, its default
# checks, until done). The seed makes it repeatable; no example database, so no run replays
# another's failures (on the clean server there are none to replay).
ST_DEFAULT_OPTIONS = "--generation-database none --report ndjson --no-color"


def schemathesis_default_cmd(url: str, key: str, seed: int, report: Path) -> list[str]:
    return [
        *(str(SCHEMATHESIS), "run", str(DOCUMENT), "--url", url, "--header", f"x-api-key: {key}"),
        *("--seed", str(seed), *ST_DEFAULT_OPTIONS.split(), "--report-ndjson-path", str(report)),
    ]


def run_schemathesis_default(seed: int, slot: int, timeout: float) -> Run:
    """Plain Schemathesis's default run against a fresh clean server: every request that
    reaches it (its capability probes too) and its 201s; `seconds` includes the server's start,
    as the gate's include its embedded server's."""
    keys = EmbeddedKeys.fresh()
    started = time.monotonic()
    with (
        reference_server(slot, keys, "", 0) as url,
        tempfile.TemporaryDirectory(prefix="bench-st-") as tmp,
    ):
        report = Path(tmp) / "events.ndjson"
        cmd = schemathesis_default_cmd(url, keys.api_key, seed, report)
        code, out = run_bounded(cmd, {**os.environ}, timeout)
        run = Run("schemathesis", "", seed, code == 1, 0, round(time.monotonic() - started, 2))
        run.exit_status = code
        if not report.exists():
            run.error = f"no report (exit {code}): {out.strip()[-200:]}"
            return run
        with report.open(encoding="utf-8") as lines:
            outcome = parse_ndjson(lines)
    run.requests, run.campaigns = outcome.sent + outcome.probes, outcome.created
    run.first_failure, run.in_run_seconds = outcome.first_failure, round(outcome.running_time, 2)
    if code is None:
        run.error = f"timed out after {timeout:.0f}s"
    return run


def cost_run(kind: str, seed: int, timeout: float) -> Run:
    """One whole run on the clean server, as the user pays for it (no `-x`)."""
    if kind == "schemathesis":
        run = run_schemathesis_default(seed, 0, timeout)
    else:
        limit = min(timeout, NIGHTLY_TIMEOUT) if kind == "nightly" else timeout
        run = run_gate("", seed, limit, depth=kind, first_failure=False)
    run.tool = kind
    return run


@dataclass
class CostRow:
    """One tool's whole runs on the clean server, medians over the seeds."""

    kind: str
    runs: int
    requests: float
    campaigns: float
    seconds: float
    paced_s: float
    failing: int  # runs that did not end conforming (exit 0): a false alarm or a fault
    errors: int


def cost_row(kind: str, runs: list[Run]) -> CostRow:
    requests, seconds = (
        median([r.requests for r in runs]),
        round(median([r.seconds for r in runs]), 2),
    )
    return CostRow(
        kind=kind,
        runs=len(runs),
        requests=requests,
        campaigns=median([r.campaigns for r in runs]),
        seconds=seconds,
        paced_s=round(paced_seconds(requests, seconds)),
        failing=sum(r.exit_status != 0 for r in runs),
        errors=sum(bool(r.error) for r in runs),
    )


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def render_cost(rows: list[CostRow]) -> str:
    lines = [
        f"| run | requests | campaigns | unpaced s | paced at {PACE}/min | not conforming |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        bad = f"{r.failing}/{r.runs}" + (f" [{r.errors} error]" if r.errors else "")
        lines.append(
            f"| {COST_LABELS[r.kind]} | {r.requests:g} | {r.campaigns:g} | {r.seconds:g} "
            f"| {minutes(r.paced_s)} | {bad} |"
        )
    return "\n".join(lines)


def cost_lines(rows: list[CostRow]) -> list[str]:
    """The issue's targets for a gate run, and each depth beside plain Schemathesis."""
    by = {r.kind: r for r in rows}
    lines = []
    if "gate" in by:
        g = by["gate"]
        ok = g.requests <= GATE_REQUESTS_MAX and g.campaigns <= GATE_CAMPAIGNS_MAX
        lines.append(
            f"- One gate run on the clean server: {g.requests:g} requests, {g.campaigns:g} "
            f"campaigns (target <= {GATE_REQUESTS_MAX} and <= {GATE_CAMPAIGNS_MAX}): "
            f"{'met' if ok else 'NOT met'}; paced at {PACE}/min about {minutes(g.paced_s)}."
        )
    st = by.get("schemathesis")
    for kind in ("gate", "nightly"):
        if st and kind in by and st.requests and st.campaigns:
            r = by[kind]
            lines.append(
                f"- {kind} / plain Schemathesis's default run: {r.requests / st.requests:.2f}x the "
                f"requests ({r.requests:g} vs {st.requests:g}), {r.campaigns / st.campaigns:.2f}x "
                f"the campaigns ({r.campaigns:g} vs {st.campaigns:g}), paced "
                f"{minutes(r.paced_s)} vs {minutes(st.paced_s)}."
            )
    return lines


def keep_or_run(
    keep: Path, params: dict[str, Any], fresh: bool, make: Callable[[], Run]
) -> tuple[Run, bool]:
    """A run kept from an earlier bench with the same parameters, or a new one (then kept,
    unless it failed to run): an interrupted bench resumes where it stopped."""
    if keep.exists() and not fresh:
        saved = json.loads(keep.read_text(encoding="utf-8"))
        if saved["params"] == params:
            return Run(**saved["run"]), True
    run = make()
    if not run.error:
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text(json.dumps({"params": params, "run": asdict(run)}), encoding="utf-8")
    return run, False


def measure_overhead(seed: int, max_examples: int, timeout: float) -> dict[str, float]:
    """Both tools in turn against one clean server, with nothing else running."""
    keys = EmbeddedKeys.fresh()
    with reference_server(0, keys, "", 0) as url:
        target = dict(BASE_URL=url, API_KEY=keys.api_key, TEMPLATE_ID=keys.template_id)
        target.update(FORBIDDEN_API_KEY=keys.forbidden_api_key, OTHER_API_KEY=keys.other_api_key)
        gate = run_gate("", seed, timeout, target)
        st = schemathesis_on(url, keys.api_key, "", seed, max_examples, timeout)
    out: dict[str, float] = {}
    for name, run in (("gate", gate), ("schemathesis", st)):
        if run.error or run.detected:
            print(f"warning: {name} on the clean server: {run.error or run.first_failure}")
        out[f"{name}_requests"] = run.requests
        out[f"{name}_s_per_request"] = run.seconds / max(run.requests, 1)
        out[f"{name}_in_run_s_per_request"] = run.in_run_seconds / max(run.requests, 1)
    return out


def fingerprint() -> str:
    """What a kept run depends on: the suite, the server, the document and the tools' versions
    (not the bench itself, whose report can change without running anything again)."""
    digest = hashlib.sha256(" ".join(version(p) for p in TOOL_PACKAGES).encode())
    files = [*ROOT.glob("conformance/**/*.py"), *ROOT.glob("refserver/*.py"), ROOT / "conftest.py"]
    files += [*ROOT.glob("tests/conformance/*.py"), ROOT / "openapi" / "campaigns.yaml"]
    files += [*ROOT.glob("conformance/contract/cases/*"), *ROOT.glob("harness/*.py")]
    for path in sorted(p for p in files if p.is_file() and not p.name.startswith("bench")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def tree_state() -> str:
    """The commit measured, and whether the suite, server or document differ from it."""
    git = ["git", "-C", str(ROOT)]
    paths = ["conformance", "refserver", "tests/conformance", "openapi", "harness", "conftest.py"]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
        )
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", *paths],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
