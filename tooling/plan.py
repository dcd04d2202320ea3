"""`make plan`: the requests the boundary matrix would send, as curl lines, the other tests by
name, and the requests and campaigns each part will spend with the wall time the pace sets at
RATE_LIMIT (60/min when unset). Sends nothing."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys

import pytest

from conformance.checks.contexts import GATE_FACTORS, NIGHTLY_FACTORS, contexts
from conformance.checks.packing import assign
from conformance.checks.repeat import NIGHTLY_RUNS, NIGHTLY_SHARE
from conformance.contract.document import target_operation
from conformance.contract.matrix import build_matrix
from conformance.pytest_layer.cost import run_plan
from conformance.run.cost import RERUN_CAMPAIGNS
from conformance.settings import ROOT, ConfigError, Settings
from conformance.wire.redact import curl_line
from harness.embedded import EmbeddedKeys
from harness.plugin import as_embedded


class _Collector:
    """Keeps the collected items: the test list as objects, not as printed text."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


def collect() -> list[pytest.Item]:
    collector = _Collector()
    args = ["tests/conformance", "--collect-only", "-q", "-p", "no:cacheprovider"]
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        pytest.main(
            [str(ROOT / a) if a.startswith("tests/") else a for a in args], plugins=[collector]
        )
    return collector.items


def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 4
    base = settings.base_url or "http://127.0.0.1:<embedded>"
    if settings.base_url is None:  # the run will start the embedded server: plan that run
        settings = as_embedded(settings, base, EmbeddedKeys.fresh(), 0)
    headers = {"x-api-key": "***", "Content-Type": "application/json"}
    cases = build_matrix(settings.name_prefix, deep=settings.depth == "nightly")
    print(f"# boundary matrix: {len(cases)} requests to POST {base}{target_operation().path}")
    for case in cases:
        body = json.dumps(case.body, ensure_ascii=False)
        print(f"\n# {case.id}: expect {case.expect} [{case.rule}] {'; '.join(case.notes)}")
        print(curl_line("POST", base + target_operation().path, headers, body, "API_KEY"))
    depth = settings.depth
    rows = contexts(depth)
    factors = NIGHTLY_FACTORS if depth == "nightly" else GATE_FACTORS
    full = math.prod(len(levels) for levels in factors.values())
    print(
        f"\n# semantic contexts ({depth}): {len(rows)} rows cover every "
        f"2-wise combination of {', '.join(factors)} "
        f"(the full product is {full}); each row is one request and one campaign"
    )
    print("\n".join(f"#   {ctx.id}" for ctx in rows))
    if depth == "nightly":
        print(f"# nightly repeats: one case in {NIGHTLY_SHARE} runs {NIGHTLY_RUNS} times")
    hard, extra = assign(rows, depth, settings.name_prefix)
    print(
        f"\n# hard values ({depth}), packed in the rows above and {len(extra)} row(s) of their own:"
    )
    for n, packed in enumerate([*hard, *extra]):
        if packed.values:
            print(f"#   row {n}: " + "; ".join(packed.said(f) for f in packed.values))
    items = collect()
    others = [i.nodeid for i in items if "test_boundary" not in i.nodeid]
    print(f"\n# other tests ({len(others)}; some need optional keys):")
    print("\n".join(f"#   {nodeid}" for nodeid in others))
    print("\n# planned cost per part (requests and campaigns at most, before throttling):")
    plan = run_plan(items, settings, RERUN_CAMPAIGNS)
    print("\n".join(f"# {line}" for line in plan.describe(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
