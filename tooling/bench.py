"""`make bench`: what the suite costs and what it finds, beside plain Schemathesis, measured at
the target (the reference server counts every request it answers and every success).

- Cost of one run on the clean server: the gate, the nightly depth and plain Schemathesis's
  default run: requests, campaigns, and the wall a run paced at 60 a minute would take
  (requests x 1 s plus the measured unpaced wall: nothing waits).
- Detection over the planted-defect catalogue: the gate (`SEED=20261126 DERANDOMIZE=1`, the
  whole run) beside plain Schemathesis (`-n 100 --checks all`, one run per seed): for each
  tool and defect, caught or not (the gate: by one of the defect's own rules; Schemathesis: any
  failure, on a server it passes clean), requests and campaigns.
- `--paced`: the gate with every optional input against a server enforcing 60 a minute, on a
  fixed and on a sliding window (a few minutes each): wall, requests, exit status.

Usage: python -m tooling.bench [--seeds 1,2,3] [--max-examples 100] [--only NAME ...]
       [--jobs 2] [--paced]          writes $REPORTS_DIR/bench.md and bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.settings import DOCUMENT, ROOT
from harness.embedded import EmbeddedKeys
from refserver import defects
from refserver.app import RefApp
from refserver.config import ServerConfig
from refserver.hosting import in_thread
from refserver.seed import Settings as ServerKeys
from tooling.mutation import SEED, Job, run_job
from tooling.runs import child_env, run_bounded, run_child
from tooling.targets import InProcessTarget

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
TIMEOUT = 300.0
PACE = 60  # the vendor's requests per minute
# Schemathesis finds a rate-limit defect only against a limit it can reach in its run.
ST_RATE_LIMIT = 5


@dataclass
class Row:
    tool: str  # gate / nightly / schemathesis
    server: str  # "(clean)" or a defect's name
    seed: int
    caught: bool
    requests: int
    campaigns: int
    seconds: float
    note: str = ""


def counted(apps: list[RefApp]) -> tuple[int, int]:
    """(POSTs answered, successes) over the apps a run met."""
    posts = sum(a.server_state.answered["POST"] for a in apps)
    return posts, sum(a.server_state.succeeded["POST"] for a in apps)


def suite_row(tool: str, server: str, rules: tuple[str, ...], reports: Path) -> Row:
    """One whole run of the suite at `tool`'s depth (no early stop), in this process."""
    kind = "clean" if server == "(clean)" else "defect"
    job = Job(kind, server, "uvicorn", rules, depth=tool if tool == "nightly" else "gate")
    target = InProcessTarget(server if kind == "defect" else "", "", "uvicorn")
    result = run_job(job, reports / tool, SEED, full=True, target=target)
    requests, campaigns = counted(target.apps)
    caught = result.detection == "own" if kind == "defect" else result.exit_code != 0
    return Row(tool, server, SEED, caught, requests, campaigns, result.seconds)


def schemathesis_row(server: str, seed: int, max_examples: int | None) -> Row:
    """Plain Schemathesis against a fresh reference server served here."""
    keys = ServerKeys()
    limit = ST_RATE_LIMIT if server.startswith("rate_limit") else 0
    defect = "" if server == "(clean)" else server
    app = RefApp(ServerConfig(defect, "", keys, limit, 60.0))
    cmd = [str(SCHEMATHESIS), "run", str(DOCUMENT), "-H", f"x-api-key: {keys.key}"]
    cmd += ["--seed", str(seed), "--checks", "all", "--no-color"]
    if max_examples is not None:
        cmd += ["-n", str(max_examples)]
    started = time.monotonic()
    with in_thread(app, "uvicorn") as url, tempfile.TemporaryDirectory() as tmp:
        code, _, _ = run_bounded([*cmd, "--url", url], {**os.environ, "HOME": tmp}, TIMEOUT)
    requests, campaigns = counted([app])
    note = "timed out" if code is None else "" if code in (0, 1) else f"exit {code}"
    return Row("schemathesis", server, seed, code == 1, requests, campaigns,
               round(time.monotonic() - started, 1), note)  # fmt: skip


def paced_row(window: str, reports: Path) -> Row:
    """The gate with every optional input against a server enforcing PACE a minute."""
    keys = EmbeddedKeys.fresh()
    server_keys = ServerKeys(keys.api_key, keys.forbidden_api_key, keys.other_api_key,
                             keys.template_id)  # fmt: skip
    variant = "sliding_window_rate_limit" if window == "sliding" else ""
    app = RefApp(ServerConfig("", variant, server_keys, PACE, 60.0))
    with in_thread(app, "uvicorn") as url:
        env = child_env(BASE_URL=url, API_KEY=keys.api_key, TEMPLATE_ID=keys.template_id,
                        FORBIDDEN_API_KEY=keys.forbidden_api_key,
                        OTHER_API_KEY=keys.other_api_key, RATE_LIMIT=str(PACE),
                        SEED=str(SEED), DERANDOMIZE="1", HISTORY_DB="off")  # fmt: skip
        run = run_child(reports / f"paced-{window}", "-q", env=env, timeout=900)
    requests, campaigns = counted([app])
    return Row(f"paced gate ({window} window)", "(clean)", SEED, run.code != 0, requests,
               campaigns, run.seconds, f"exit {run.code}")  # fmt: skip


def big_har(path: Path, entries: int, reports: Path) -> Path:
    """A HAR of `entries` exchanges: a gate run's own, repeated, each copy a second later and
    with fresh campaign ids (so what is judged is judged as new traffic)."""
    run_job(Job("clean", "(clean)", "uvicorn"), reports / "judge-source", SEED, full=True)
    source = reports / "judge-source" / "uvicorn" / "clean" / "exchanges.har"
    recorded = json.loads(source.read_text(encoding="utf-8"))["log"]["entries"]
    first = recorded[0]["startedDateTime"]
    start = time.mktime(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": ['
        )
        for n in range(entries):
            entry = json.loads(json.dumps(recorded[n % len(recorded)]))
            # A millisecond apart: every copy within the campaigns' 5 minutes of the clock.
            millis = n % 1000
            stamp = time.gmtime(start + n // 1000)
            entry["startedDateTime"] = time.strftime("%Y-%m-%dT%H:%M:%S", stamp) + f".{millis:03d}Z"
            text = entry["response"]["content"].get("text", "")
            if '"campaign"' in text:
                old = json.loads(text)["campaign"]["id"]
                entry["response"]["content"]["text"] = text.replace(old, str(uuid.uuid4()))
            out.write(("," if n else "") + json.dumps(entry))
        out.write("]}}")
    return path


def judge_row(entries: int, reports: Path) -> Row:
    """`conformance judge` on a HAR of `entries` exchanges: its wall and its peak memory."""
    har = big_har(reports / "judge-bench.har", entries, reports)
    cmd = [str(Path(sys.executable).with_name("conformance")), "judge", str(har)]
    env = child_env(REPORTS_DIR=str(reports / "judge-bench"), HISTORY_DB="off")
    started = time.monotonic()
    code, _, peak_kb = run_bounded(cmd, env, TIMEOUT)
    seconds = round(time.monotonic() - started, 1)
    note = f"exit {code}, peak {peak_kb // 1024} MB, {har.stat().st_size // 2**20} MB file"
    return Row("judge", f"{entries} exchanges", SEED, code != 0, 0, 0, seconds, note)


def detection_table(rows: list[Row], names: list[str], seeds: list[int]) -> list[str]:
    st_clean = {r.seed: r for r in rows if r.tool == "schemathesis" and r.server == "(clean)"}
    head = "| defect | rules | gate | " + " | ".join(f"Schemathesis seed {s}" for s in seeds)
    lines = [head + " |", "|---|---|---|" + "---|" * len(seeds)]
    by = {(r.tool, r.server, r.seed): r for r in rows}
    rules = {d.name: d.rules for d in defects.CATALOGUE}

    def cell(r: Row | None) -> str:
        if r is None:
            return "-"
        word = "**caught**" if r.caught else "missed"
        return f"{word} ({r.requests} req, {r.campaigns} camp){' ' + r.note if r.note else ''}"

    for name in names:
        cells = [by.get(("schemathesis", name, s)) for s in seeds]
        lines.append(
            f"| `{name}` | {', '.join(rules.get(name, ()))} | {cell(by.get(('gate', name, SEED)))} | "
            + " | ".join(cell(r) for r in cells)
            + " |"
        )
    gate = [by[("gate", n, SEED)] for n in names if ("gate", n, SEED) in by]
    lines.append("")
    lines.append(
        f"Gate: {sum(r.caught for r in gate)}/{len(gate)} caught by their own rule, "
        f"{sum(r.requests for r in gate)} requests, {sum(r.campaigns for r in gate)} campaigns."
    )
    for seed in seeds:
        st = [by[key] for n in names if (key := ("schemathesis", n, seed)) in by]
        clean = st_clean.get(seed)
        fails_clean = clean is not None and clean.caught
        lines.append(
            f"Schemathesis seed {seed}: {sum(r.caught for r in st)}/{len(st)} with a failure, "
            f"{sum(r.requests for r in st)} requests, {sum(r.campaigns for r in st)} campaigns"
            + (
                "; it fails the clean server too, so a failure is no detection"
                if fails_clean
                else ""
            )
            + "."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--only", nargs="*", help="defects to run (default: the catalogue)")
    parser.add_argument("--jobs", type=int, default=2, help="Schemathesis runs at a time")
    parser.add_argument("--paced", action="store_true", help="also the paced gate (minutes)")
    parser.add_argument("--judge", type=int, default=100_000, help="exchanges of the judged HAR")
    parser.add_argument("--judge-only", action="store_true", help="only the judged HAR's row")
    args = parser.parse_args(argv)
    if args.judge_only:
        row = judge_row(args.judge, Path(os.environ.get("REPORTS_DIR", ROOT / "reports")) / "bench")
        print(f"conformance judge on a HAR of {row.server}: {row.seconds} s wall, {row.note}")
        return 1 if row.caught else 0
    seeds = [int(s) for s in args.seeds.split(",") if s]
    names = args.only or [d.name for d in defects.CATALOGUE]
    reports = Path(os.environ.get("REPORTS_DIR", ROOT / "reports"))
    out = reports / "bench"
    started = time.monotonic()
    rules = {d.name: d.rules for d in defects.CATALOGUE}
    rows = [suite_row(tool, "(clean)", (), out) for tool in ("gate", "nightly")]
    rows += [suite_row("gate", name, rules[name], out) for name in names]
    print(f"bench: {len(rows)} suite runs done; Schemathesis next", flush=True)
    st_jobs = [("(clean)", s, None) for s in seeds[:1]]  # its default run: the cost row
    st_jobs += [(name, s, args.max_examples) for s in seeds for name in ["(clean)", *names]]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        st_rows = list(pool.map(lambda j: schemathesis_row(*j), st_jobs))
    default, rows = st_rows[0], rows + st_rows[1:]
    if args.paced:
        rows += [paced_row(window, out) for window in ("fixed", "sliding")]
    judged = judge_row(args.judge, out) if args.judge else None
    cost = [r for r in rows[:2] if r.server == "(clean)"] + [default]
    lines = [
        "# Bench",
        "",
        f"`python -m tooling.bench --seeds {args.seeds} --max-examples {args.max_examples}`: "
        f"{time.monotonic() - started:.0f} s wall, load {' '.join(map(str, os.getloadavg()))}.",
        "",
        "## One run on the clean server",
        "",
        "| run | requests | campaigns | wall | paced at 60/min | clean verdict |",
        "|---|---:|---:|---:|---:|---|",
        *(
            f"| {'Schemathesis default' if r is default else r.tool} | {r.requests} | "
            f"{r.campaigns} | {r.seconds} s | {r.requests * 60 / PACE + r.seconds:.0f} s | "
            f"{'fails' if r.caught else 'passes'} |"
            for r in cost
        ),
        *(
            f"| {r.tool} | {r.requests} | {r.campaigns} | {r.seconds} s | (measured) | {r.note} |"
            for r in rows
            if r.tool.startswith("paced")
        ),
        "",
        *(
            [
                "## Judging recorded traffic",
                "",
                f"`conformance judge` on a HAR of {judged.server}: {judged.seconds} s wall, "
                f"{judged.note} (target: under 60 s and 500 MB on 2 cores).",
                "",
            ]
            if judged
            else []
        ),
        "## Detection over the planted defects",
        "",
        *detection_table(rows, names, seeds),
    ]
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "bench.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = [asdict(r) for r in [default, *rows]]
    (reports / "bench.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
