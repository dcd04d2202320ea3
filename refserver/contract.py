"""Contract facts the server shares with the suite and the selftests (`openapi/rules.yaml`),
read once: the echoed fields. The server still validates by hand; it reads facts, not schemas."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parent.parent / "openapi" / "rules.yaml"


@cache
def echoed_fields() -> tuple[str, ...]:
    # libyaml's parser when PyYAML has it (the pure-Python one is slow to start a server).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with RULES_FILE.open(encoding="utf-8") as handle:
        return tuple(yaml.load(handle, Loader=loader)["facts"]["echoed"])
