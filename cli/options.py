"""A flag for every variable of the suite: `--base-url` is BASE_URL, and so on. A flag given wins
over the environment; a flag not given leaves the variable as the environment has it."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    variable: str
    help: str
    default: str = ""  # what the suite uses when neither flag nor variable is given


FLAGS: tuple[Flag, ...] = (
    Flag("BASE_URL", "API root of the server under test", "the embedded reference server"),
    Flag("API_KEY", "a key that may create campaigns (prefer the environment: a flag is seen "
         "in the process list)"),
    Flag("TEMPLATE_ID", "a template of API_KEY's client: turns on the template checks"),
    Flag("FORBIDDEN_API_KEY", "a known key without create permission: turns on the 403 check"),
    Flag("OTHER_API_KEY", "a key of another client: turns on the client, tenant and per-key checks"),
    Flag("RATE_LIMIT", "requests per minute the target enforces: paces the run, turns on the "
         "rate-limit check", "off"),
    Flag("RATE_WINDOW", "the target's rate-limit window in seconds", "60"),
    Flag("DEPTH", "gate (lean) or nightly (deep)", "gate"),
    Flag("MAX_REQUESTS", "request budget (0: none)", "the plan's bound; 1000 at nightly"),
    Flag("MAX_CAMPAIGNS", "campaign budget (0: none)", "30; 50 at nightly"),
    Flag("MAX_TIME", "wall for the run in seconds (0: none)", "1800"),
    Flag("REQUEST_TIMEOUT", "total deadline of one exchange in seconds", "10"),
    Flag("TRANSPORT_RETRIES", "retries of a request that never reached the target", "2"),
    Flag("MAX_BODY", "response bodies read up to this many decoded bytes (0: none)", "1000000"),
    Flag("SEED", "Hypothesis seed", "0; 20261126 for gate; random for nightly"),
    Flag("EXAMPLES", "negative property examples", "25; 200 at nightly"),
    Flag("DERANDOMIZE", "derandomize Hypothesis (1/0)", "0; 1 for gate"),
    Flag("BASELINE", "file of accepted deviations", "baseline.json"),
    Flag("ALLOW_OFF", "rule ids a strict gate accepts off, comma-separated", "none"),
    Flag("REPORTS_DIR", "where the reports go", "reports"),
    Flag("HISTORY_DB", "the run history (SQLite; off for none)", "REPORTS_DIR/history.sqlite"),
    Flag("HISTORY_KEEP", "runs of each target the history keeps", "365"),
)  # fmt: skip


def flag_name(flag: Flag) -> str:
    return "--" + flag.variable.lower().replace("_", "-")


def add_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the suite's variables (a flag wins over the environment)")
    for flag in FLAGS:
        default = f" (default: {flag.default})" if flag.default else ""
        group.add_argument(
            flag_name(flag),
            dest=flag.variable,
            metavar=flag.variable,
            default=None,
            help=f"{flag.help}{default}; env {flag.variable}",
        )


def apply_flags(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, str]:
    """The environment with every flag given set over it."""
    out = dict(env)
    for flag in FLAGS:
        value = getattr(args, flag.variable, None)
        if value is not None:
            out[flag.variable] = value
    return out
