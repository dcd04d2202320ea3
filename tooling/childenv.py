"""The environment of a child run of the suite (mutation check, bench, selftests)."""

from __future__ import annotations

import os

# Every variable the suite reads (see `Settings.from_env`), and RUN_ID.
SUITE_VARIABLES = frozenset(
    {"BASE_URL", "API_KEY", "TEMPLATE_ID", "FORBIDDEN_API_KEY", "OTHER_API_KEY", "RATE_LIMIT"}
    | {"RATE_WINDOW", "DEPTH", "MAX_BODY"}
    | {
        "MAX_REQUESTS",
        "MAX_CAMPAIGNS",
        "MAX_TIME",
        "REQUEST_TIMEOUT",
        "TRANSPORT_RETRIES",
        "SEED",
        "EXAMPLES",
    }
    | {"DERANDOMIZE", "BASELINE", "REPORTS_DIR", "RUN_ID", "HISTORY_DB", "HISTORY_KEEP"}
)


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of a child run of the suite (mutation check, bench, selftests): ours,
    less everything that configures the suite or the reference server, plus `overrides`.
    Bytecode stays writable, so pytest's rewritten modules are cached across the runs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SUITE_VARIABLES and not k.startswith("REFSERVER_")
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(overrides)
    return env
