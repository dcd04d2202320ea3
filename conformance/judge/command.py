"""`conformance judge FILE`: recorded traffic judged, with the same reports, exit statuses and
history as a live run, and a coverage table; it sends nothing, to any host.

The keys' roles come from the same variables as a live run (API_KEY, FORBIDDEN_API_KEY,
OTHER_API_KEY, TEMPLATE_ID), and RATE_LIMIT and RATE_WINDOW, when given, let it count each key's
windows. A file that is not HAR 1.2, or that holds no exchange to the document's operation, is a
setup stop in one line; an exception of ours is a suite error (exit 9, the traceback in a file)."""

from __future__ import annotations

import os
import secrets
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

from conformance.contract.document import target_operation
from conformance.contract.rules import rules
from conformance.judge.har import NotHar
from conformance.judge.judge import Config, Judged, judge_file
from conformance.reports import model as m
from conformance.reports.ending import ERROR_FILE, ReportFiles, end_step, finish
from conformance.reports.junit import JUnitWriter
from conformance.reports.remember import attach
from conformance.reports.screen import screen_lines
from conformance.run import outcomes
from conformance.run.events import Events, TestFinished
from conformance.run.run import Run
from conformance.settings import KEY_VARIABLES, ConfigError, Settings
from conformance.wire.redact import Secrets, redact

# What a live run sends for a rule that no exchange of the file reaches, by the rule's prefix.
SENDS = (
    ("auth.forbidden", "a request with FORBIDDEN_API_KEY"),
    ("auth.tenant", "OTHER_API_KEY with a template of API_KEY's client"),
    ("auth.unauthorized", "requests with a missing, empty, mangled or unknown key"),
    ("auth.before-body", "an unauthenticated request with an invalid body"),
    ("order", "requests that break two rules at once (probes.yaml, order)"),
    ("body.", "bodies that are not JSON, not sent as JSON, or of the wrong shape"),
    ("template.", "a templateId that names no template"),
    ("validation.", "a body with one broken field"),
    ("request.", "the boundary matrix's edges of each field of the request"),
    ("rate.", "a burst of RATE_LIMIT + 1 requests in a fresh window (RATE_LIMIT given)"),
    ("semantic.client", "campaigns created with API_KEY and with OTHER_API_KEY"),
    ("semantic.", "a created campaign (a 201)"),
    ("", "any response"),
)


def coverage(judged: Judged) -> list[str]:
    """One line per rule: the exchanges it was judged on, or what a live run would send."""
    lines = []
    for rule in rules():
        if n := judged.cases.get(rule):
            lines.append(f"  {rule:<34} judged on {n} exchange(s)")
        else:
            sends = next(text for prefix, text in SENDS if rule.startswith(prefix))
            lines.append(f"  {rule:<34} not in this traffic (a live run sends {sends})")
    return lines


def _config(env: Mapping[str, str]) -> tuple[Config, Settings]:
    # The keys are read here, not as a target's: there is no target to send them to.
    unused = ("BASE_URL", *KEY_VARIABLES)
    settings = Settings.from_env({k: v for k, v in env.items() if k not in unused})
    keys = {var: env.get(var, "").strip() for var in KEY_VARIABLES if env.get(var, "").strip()}
    config = Config(keys, settings.template_id, settings.rate_limit, settings.rate_window)
    return config, settings


def judge(har: str, env: Mapping[str, str] | None = None) -> int:
    """Judge the file; print the screen; the suite's exit status."""
    env = dict(os.environ if env is None else env)
    path = Path(har)
    try:
        config, settings = _config(env)
    except ConfigError as exc:
        print(f"SETUP ERROR: configuration error: {exc} (exit status 8)")
        return outcomes.SETUP_ERROR
    secret = Secrets([*config.keys.values()])
    try:
        judged = judge_file(path, config)
    except (NotHar, OSError, UnicodeDecodeError) as exc:
        print(redact(f"SETUP ERROR: {path}: {exc} (exit status 8)", secret))
        return outcomes.SETUP_ERROR
    except Exception as exc:  # ours: never a finding against the target
        where = settings.reports_dir / ERROR_FILE
        settings.reports_dir.mkdir(parents=True, exist_ok=True)
        where.write_text(redact("".join(traceback.format_exception(exc)), secret), "utf-8")
        print(redact(f"SUITE ERROR judging {path}: {type(exc).__name__}: {exc}", secret))
        print(f"(a bug of the suite, not the traffic's; traceback in {where}; exit status 9)")
        return outcomes.SUITE_ERROR
    if not judged.judged:
        print(
            f"SETUP ERROR: {path} holds no exchange to {target_operation().label} "
            f"({judged.entries} entries; exit status 8)"
        )
        return outcomes.SETUP_ERROR
    secret = Secrets([*config.keys.values(), *judged.keys])
    return _report(path, judged, settings, secret, env)


def _report(
    path: Path, judged: Judged, settings: Settings, secret: Secrets, env: Mapping[str, str]
) -> int:
    label = f"recorded traffic {path.name}"
    settings = settings.with_target(
        label=label, depth="judge", run_id=time.strftime("%Y%m%dT%H%M%S") + secrets.token_hex(2)
    )
    run = Run(settings.run_id, given_secrets=list(secret), events=Events())
    run.settings, run.results = settings, judged.results
    status = outcomes.exit_status(judged.results)
    info = m.RunInfo(
        run_id=settings.run_id, seed=0, target=label,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started)), seconds=0.0,
        budget=m.Budget(0, 0.0, 0, 0), planned=m.Part(0, 0), exit_status=status,
        exit_meaning=outcomes.EXIT_MEANING[status], setup_error=None, not_covered=None,
        reproduce_note=f"judged from {path} ({judged.judged} exchanges, none sent): each "
        "reproduce line replays one recorded request",
        baseline=m.BaselineUse(str(settings.baseline), (), ()),
        strict=False, rules_off=(), allowed_off=(),
    )  # fmt: skip
    directory = settings.reports_dir
    files = ReportFiles(directory, run.ledger, secret, run.end_errors)
    junit = JUnitWriter(directory / "junit.xml", lambda: secret)
    for result in judged.results:
        junit(TestFinished(result))
    run.events.subscribe(junit)
    run.events.subscribe(files)

    def remember(report: m.Report) -> m.Report:
        report, run.history_warning = attach(report, settings, [], secret, env)
        return report

    table = coverage(judged)
    # Written before the end, so that a failure to write it is one of the end's suite errors.
    with end_step("writing coverage.md", run.end_errors):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "coverage.md").write_text(
            redact(f"# Coverage of {label}\n\n```text\n" + "\n".join(table) + "\n```\n", secret),
            encoding="utf-8",
        )
    report = finish(run, info, files, remember)
    missing = [line.strip() for line in table if "not in this traffic" in line]
    lines = [
        f"judge: {path}: {judged.entries} entries, {judged.judged} exchanges to "
        f"{target_operation().label} judged; nothing sent",
        f"coverage: {len(table) - len(missing)} of {len(table)} rules judged "
        f"({directory / 'coverage.md'})",
        *(f"  {line}" for line in missing),
    ]
    if report is not None:
        lines += screen_lines(report, directory)
    for line in lines:
        print(redact(line, secret))
    return report.run.exit_status if report is not None else outcomes.SUITE_ERROR
