"""A pytest plugin for the mutation check's defect runs: `--stop-when-broken=RULE,...` stops the
run, as `-x` would, once every named rule has failed.

A planted defect is judged by whether one of its own rules fails. Once all of them have, no
later test can change that verdict, so the rest of the run is not needed; most defects are
caught in the first third of a run. A run that has not caught its defect goes on to the end, so
"caught only by another rule" and "missed" are judged on the whole run, and clean and variant
runs (which must pass everything) never stop early. `python -m tooling.mutation --full` runs
every defect to the end.

Loaded with `-p tooling.stopwhen`; it follows the engine's `pytest_conformance_result` hook."""

from __future__ import annotations

import pytest

from conformance.run.findings import Kind
from conformance.run.outcomes import TestResult

WANTED = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stop-when-broken",
        default="",
        metavar="RULE,...",
        help="stop the run once every one of these rules has failed (the mutation check)",
    )


def pytest_configure(config: pytest.Config) -> None:
    named = str(config.getoption("stop_when_broken"))
    config.stash[WANTED] = {rule for rule in named.split(",") if rule}


@pytest.hookimpl
def pytest_conformance_result(item: pytest.Item, result: TestResult) -> None:
    wanted = item.config.stash.get(WANTED, set())
    if not wanted or result.kind is not Kind.FAILED:
        return
    wanted.difference_update(finding.rule for finding in result.findings)
    if not wanted:
        # shouldfail, as -x sets it: the run ends after this test, reported and exited as failed.
        item.session.shouldfail = "every rule of the planted defect has failed"
