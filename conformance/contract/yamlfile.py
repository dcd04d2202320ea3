"""The contract's YAML files, parsed by libyaml when PyYAML was built with it: the pure-Python
parser spent about a second of every run on the document and the rules. The constructor is the
same safe one, so the data is the same (a selftest compares the two)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path, loader: type[yaml.SafeLoader] = LOADER) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)
