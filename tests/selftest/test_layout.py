"""The architecture, asserted: the engine knows nothing of the harness, the tooling or the
reference server; nothing but the document names the operation's path."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

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


def _engine_sources() -> list[Path]:
    return sorted((ROOT / "conformance").rglob("*.py"))


def test_only_the_pytest_layer_imports_pytest() -> None:
    pattern = re.compile(r"^\s*(?:from|import) (pytest|_pytest)\b", re.MULTILINE)
    layer = ROOT / "conformance" / "pytest_layer"
    for path in _engine_sources():
        if layer in path.parents:
            continue
        assert not pattern.search(path.read_text(encoding="utf-8")), f"{path} imports pytest"


def test_the_engine_knows_no_embedded_target_nor_the_server() -> None:
    """The harness hands the engine a target; the reference server is one target among others."""
    for path in _engine_sources():
        text = path.read_text(encoding="utf-8").lower()
        for word in ("embedded", "refserver"):
            assert word not in text, f"{path.relative_to(ROOT)} says {word!r}"


def test_the_engine_holds_no_module_level_mutable_state() -> None:
    """A run's state lives in its context (pytest's stash); what a module holds is frozen."""
    code = (
        "import dataclasses, importlib\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for attr, value in vars(module).items():\n"
        "        if attr.startswith('__'):\n"
        "            continue\n"
        "        mutable = isinstance(value, (list, dict, set, bytearray))\n"
        "        instance = dataclasses.is_dataclass(value) and not isinstance(value, type)\n"
        "        if mutable or (instance and not value.__dataclass_params__.frozen):\n"
        "            print(f'{name}.{attr}: {type(value).__name__}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"module-level mutable state:\n{out.stdout}"


# The engine's layers, lowest first: a module imports only from its own layer or below (what a
# type checker alone reads, under TYPE_CHECKING, excepted).
LAYERS = (
    ("settings",),
    ("contract", "findings"),
    ("wire",),
    ("checks",),
    ("run",),
    ("reports",),
    ("pytest_layer", "judge"),
)


def _layer(module: str) -> int:
    part = module.split(".")[1] if module.count(".") else ""
    return next(i for i, names in enumerate(LAYERS) if part in names)


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("conformance.")}


def test_the_engine_imports_one_way_through_its_layers() -> None:
    for path in _engine_sources():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module.count(".") == 0:
            continue
        own = _layer(module)
        for imported in _runtime_imports(path):
            if imported.count(".") and _layer(imported) > own:
                raise AssertionError(f"{module} (layer {own}) imports {imported}")
