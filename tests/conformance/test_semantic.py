"""Semantic checks on requests built for them: every check in each context the contract tells
apart (a covering array of template, direction, kind, handler fields and key), carrying the hard
values of the free-text fields (`conformance/checks/packing.py`), sent a few at once; fresh ids,
and client identity."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conformance.checks.contexts import MAIN, OTHER, Context, contexts
from conformance.checks.packing import Packed, assign, culprit, row_body
from conformance.checks.repeat import judge_repeatedly, planned_runs
from conformance.checks.verdict import expect_campaign, fail
from conformance.findings import ConformanceFailure
from conformance.pytest_layer.plugin import run_of
from conformance.run.api import Api
from conformance.run.cost import Cost
from conformance.settings import Settings, collected_depth, name_prefix
from conformance.wire.exchange import Exchange

pytestmark = pytest.mark.semantic
# Creating requests sent at once, within what the pace leaves of the key's window.
CONCURRENCY = 3
# At most this many probes look for the culprit of a packed body the target refuses.
CULPRIT_PROBES = 3

Probe = tuple[dict[str, Any], Exchange]
HARD_ROWS = 900  # the first index of the rows of hard values alone
EXTRA_ROW = {"template": False, "direction": None, "kind": None, "handlers": "sent", "key": MAIN}


def _row_cost(ctx: Context, runs: int) -> Any:
    """One request and one campaign a run; none for the row the vetting's template probe is,
    when the vetting makes it (it is judged here, not sent twice)."""

    def declare(settings: Settings, left: int) -> Cost:
        made_by_vetting = ctx.is_preflight_probe and settings.vet_inputs and settings.template_id
        return Cost(0, 0) if made_by_vetting else Cost(runs, runs)

    return pytest.mark.cost(declare=declare)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The covering array's rows at this run's depth, each with its hard values, built at
    collection; the values the rows cannot hold go in bodies of their own (the nightly)."""
    depth = collected_depth()
    rows = contexts(depth)
    prefix = name_prefix(run_of(metafunc.config).run_id)
    hard, extra = assign(rows, depth, prefix)
    # What the rows cannot hold (the nightly's whole catalogue) in rows of their own: no
    # template, every field sent, the main key.
    rows += [Context(HARD_ROWS + i, dict(EXTRA_ROW)) for i in range(len(extra))]
    hard += extra
    if "ctx" in metafunc.fixturenames:
        # A row with a template also declares the template rule: its outcome (not runnable,
        # when TEMPLATE_ID was rejected) is that rule's too; with hard values, the acceptance
        # of valid bodies is its rule too.
        params = []
        for c, values in zip(rows, hard, strict=True):
            runs = planned_runs(f"{metafunc.function.__name__}[{c.id}]", depth, creates=True)
            marks = [_row_cost(c, runs)]
            marks += [pytest.mark.rule("semantic.template-name")] if c.row["template"] else []
            marks += [pytest.mark.rule("request.valid-accepted")] if values.values else []
            params.append(pytest.param(c, values, id=c.id, marks=marks))
        metafunc.parametrize(("ctx", "hard"), params)


def _row_request(api: Api, ctx: Context, hard: Packed) -> tuple[dict[str, Any], str]:
    """A context's body and key; a context whose input is not configured (TEMPLATE_ID,
    OTHER_API_KEY) is sent without it, so the rest of the row is still covered."""
    settings = api.settings
    key = ctx.row["key"] if ctx.row["key"] != OTHER or settings.other_api_key else MAIN
    return row_body(ctx, settings.name_prefix, settings.template_id, hard), key


@pytest.fixture(scope="module")
def row_answers(api: Api, request: pytest.FixtureRequest) -> dict[str, Exchange | BaseException]:
    """Every selected context row's first request, sent a few at once (each counts against its
    own row's test, which judges the answer): what concurrent creations do to ids, counters and
    every check is seen without a campaign more."""
    rows = [
        (item.nodeid, item.callspec.params["ctx"], item.callspec.params["hard"])
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_context"
    ]
    run, jobs = api.run, []
    for nodeid, ctx, hard in rows:
        if ctx.is_preflight_probe and run.template_probe is not None:
            continue  # the vetting sent it
        if any(v in run.inputs.rejected for v in _uses(ctx)):
            continue  # not runnable: its test says so
        body, key = _row_request(api, ctx, hard)
        jobs.append((nodeid, lambda body=body, key=key: api.post(body, key=key, creates=True)))
    answers: dict[str, Exchange | BaseException] = {}
    while jobs:
        keys = [api.key(MAIN), api.key(OTHER)]
        room = min(api.session.room(k, CONCURRENCY) for k in keys if k)
        size = max(1, min(CONCURRENCY, room, run.campaigns_left() or 1))
        batch, jobs = jobs[:size], jobs[size:]
        answers.update(zip([n for n, _ in batch], run.concurrently(batch, size), strict=True))
    return answers


def _uses(ctx: Context) -> list[str]:
    return [
        v
        for v, used in (
            ("TEMPLATE_ID", ctx.row["template"]),
            ("OTHER_API_KEY", ctx.row["key"] == OTHER),
        )
        if used
    ]


@pytest.mark.rule("semantic.echo")
@pytest.mark.concurrent(CONCURRENCY, "the semantic context rows' creating requests")
def test_context(ctx: Context, hard: Packed, api: Api, request: pytest.FixtureRequest) -> None:
    # An input the target rejected at the vetting: this row's checks are not runnable.
    for variable in _uses(ctx):
        if variable in api.run.inputs.rejected:
            api.run.inputs.require(variable)
    # The batch first: it leaves out the row the vetting's template probe is.
    sent = request.getfixturevalue("row_answers").pop(request.node.nodeid, None)
    made = request.getfixturevalue("template_probe") if ctx.is_preflight_probe else None
    first: list[Exchange | BaseException] = []
    if made is not None:
        first.append(made[1])
    elif sent is not None:
        first.append(sent)

    def attempt() -> None:
        if first:
            answer = first.pop()
            if isinstance(answer, BaseException):
                raise answer
            exchange = answer
        else:
            body, key = _row_request(api, ctx, hard)
            exchange = api.post(body, key=key, creates=True)
        rule = "request.valid-accepted" if hard.values else "semantic.echo"
        try:
            campaign = expect_campaign(api, exchange, rule=rule)
        except ConformanceFailure as failure:
            raise _blamed(failure, api, ctx, hard, request.node.nodeid) from None
        api.memory.created_by_key.setdefault(exchange.key_var or MAIN, (campaign, exchange))

    judge_repeatedly(
        attempt, request.node.name, api.settings.depth, api.run.allowance,
        request.node.nodeid, (1, 1), creates=True,
    )  # fmt: skip


def _blamed(
    failure: ConformanceFailure, api: Api, ctx: Context, hard: Packed, test: str
) -> ConformanceFailure:
    """The failure with its hard value named: the echo's problems name their field; a body
    refused as a whole is searched for its culprit (within the re-run allowance)."""
    if not hard.values:
        return failure
    findings = []
    for f in failure.findings:
        named = [field for field in hard.values if any(w.startswith(f"{field}:") for w in f.what)]
        if not named and not f.rule.startswith("semantic."):
            found = _search(api, ctx, hard, test, f.exchange.status if f.exchange else None)
            named = [found] if found else []
            what = f"gave {f.exchange.status}" if f.exchange else "failed"
            hint = "; ".join(f"{hard.said(n)} {what}" for n in named) or (
                "a body with hard values in " + ", ".join(hard.values) + " " + what
            )
        else:
            hint = "; ".join(hard.said(n) for n in named)
        findings.append(replace(f, hint="; ".join(filter(None, (f.hint, hint)))))
    return ConformanceFailure(findings)


def _search(api: Api, ctx: Context, hard: Packed, test: str, status: int | None) -> str | None:
    run = api.run

    def fails(subset: Packed) -> bool | None:
        if not run.allowance.spend(test, 1, 1):
            return None
        body, key = _row_request(api, ctx, subset)
        exchange = api.post(body, key=key, creates=True)
        return exchange.status == status

    return culprit(hard, fails, CULPRIT_PROBES)


@pytest.mark.rule("semantic.id")
@pytest.mark.cost(requests=2, campaigns=2)
def test_same_body_twice_gives_two_campaigns(api: Api, request: pytest.FixtureRequest) -> None:
    body = {"name": api.settings.name_prefix + "twice"}

    def attempt() -> None:
        first = expect_campaign(api, api.post(body, creates=True), rule="semantic.id")
        second_exchange = api.post(body, creates=True)
        second = expect_campaign(api, second_exchange, rule="semantic.id")
        if first["id"] == second["id"]:
            fail("semantic.id", f"two calls returned the same id {first['id']}", second_exchange)

    judge_repeatedly(
        attempt, request.node.name, api.settings.depth, api.run.allowance,
        request.node.nodeid, (2, 2), creates=True,
    )  # fmt: skip


@pytest.mark.rule("semantic.client")
# Nothing of its own when the context rows ran (they created campaigns with both keys); one
# campaign with each key when they did not.
@pytest.mark.cost(requests=0, campaigns=0, extra=2, why="client probes (context rows not run)")
def test_clients_are_told_apart(api: Api, request: pytest.FixtureRequest) -> None:
    api.run.inputs.require("OTHER_API_KEY")
    body = {"name": api.settings.name_prefix + "client"}

    def created(key: str) -> tuple[dict[str, Any], Exchange]:
        if key in api.memory.created_by_key:
            return api.memory.created_by_key[key]
        exchange = api.post(body, key=key, creates=True)
        return expect_campaign(api, exchange, rule="semantic.client"), exchange

    def attempt() -> None:
        (mine, _), (theirs, other_exchange) = created(MAIN), created(OTHER)
        if mine["client"]["id"] == theirs["client"]["id"]:
            fail(
                "semantic.client",
                f"both clients' campaigns carry client.id {mine['client']['id']}",
                other_exchange,
                hint="OTHER_API_KEY may be wrong (a key of API_KEY's own client), or the "
                "target gives every client the same id",
            )

    judge_repeatedly(
        attempt, request.node.name, api.settings.depth, api.run.allowance,
        request.node.nodeid, (2, 2), creates=True,
    )  # fmt: skip
