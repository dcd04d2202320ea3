"""The architecture, asserted: the engine knows nothing of the harness, the tooling or the
reference server; nothing but the document names the operation's path."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.selftest.suite_runner import ROOT

ENGINE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "conformance").rglob("*.py")
)


def test_importing_the_engine_imports_no_harness_tooling_or_server() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('harness', 'tooling', 'refserver'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "", f"the engine imported {out.stdout.strip()}"


def test_imports_go_one_way() -> None:
    """tooling -> harness -> engine: the harness never imports tooling; the server neither."""
    pattern = re.compile(r"^\s*(?:from|import) (tooling|harness|conformance)\b", re.MULTILINE)
    allowed = {
        "harness": {"conformance", "harness"},
        "refserver": set(),
        "conformance": {"conformance"},
    }
    for package, may in allowed.items():
        for path in (ROOT / package).rglob("*.py"):
            used = set(pattern.findall(path.read_text(encoding="utf-8")))
            assert used <= may, f"{path.relative_to(ROOT)} imports {used - may}"


def test_only_the_document_names_the_operation_path() -> None:
    for package in ("conformance", "harness", "tooling", "tests/conformance"):
        for path in (ROOT / package).rglob("*.py"):
            assert "/v2/campaigns" not in path.read_text(encoding="utf-8"), path
