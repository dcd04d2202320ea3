"""Every package the code imports is declared, at the right level: what the runtime code
(conformance/, harness/, tooling/, refserver/) imports in [project.dependencies], what only
the tests import in the dev extra; and nothing sits in the runtime that the runtime never uses.

Imports are read from the source (ast, every `import` wherever it stands, function bodies
included) and mapped to distributions by importlib.metadata, so a module whose distribution is
named otherwise (`yaml` is PyYAML) is still matched.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.selftest.suite_runner import ROOT

RUNTIME_PACKAGES = ("conformance", "harness", "tooling", "refserver")
TEST_SOURCES = ("tests", "conftest.py")
FIRST_PARTY = {*RUNTIME_PACKAGES, "tests", "conftest"}
# Runtime dependencies no runtime module imports, each needed all the same.
NOT_IMPORTED = {
    "hypothesis": "Schemathesis generates with it; pinned so a seed replays the same run",
    "pytest-html": "a pytest plugin loaded by its entry point for --html",
    "rfc3339-validator": "jsonschema's FormatChecker checks date-time only when it is installed",
}


def canonical(name: str) -> str:
    """PEP 503 name: `PyYAML`, `pyyaml` and `py_yaml` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"unreadable requirement {requirement!r} in pyproject.toml"
        names.add(canonical(match.group(1)))
    return names


def declared() -> tuple[set[str], set[str]]:
    """(runtime, dev) distribution names of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = requirement_names(project["dependencies"])
    dev = requirement_names(project.get("optional-dependencies", {}).get("dev", []))
    return runtime, dev


def imported_modules(*sources: str, base: Path = ROOT) -> dict[str, set[str]]:
    """Top-level module imported -> the files (relative to `base`) that import it."""
    found: dict[str, set[str]] = {}
    for source in sources:
        root = base / source
        assert root.exists(), f"{root} is gone: update the list of sources"
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(base)))
    return found


def third_party(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Distribution -> files importing it, for every module neither stdlib nor our own."""
    distributions = packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in modules.items():
        if module in sys.stdlib_module_names or module in FIRST_PARTY:
            continue
        assert module in distributions, (
            f"{module} (imported by {sorted(files)}) belongs to no installed distribution"
        )
        for distribution in distributions[module]:
            out.setdefault(canonical(distribution), set()).update(files)
    return out


def missing(imports: dict[str, set[str]], allowed: set[str]) -> list[str]:
    return [
        f"{name} (imported by {sorted(files)[:3]})"
        for name, files in sorted(imports.items())
        if name not in allowed
    ]


def test_runtime_code_imports_only_runtime_dependencies() -> None:
    runtime, _ = declared()
    imports = third_party(imported_modules(*RUNTIME_PACKAGES))
    assert {"requests", "urllib3", "jsonschema", "pluggy"} <= imports.keys(), sorted(imports)
    undeclared = missing(imports, runtime)
    assert not undeclared, f"not in [project.dependencies]: {undeclared}"


def test_tests_import_only_declared_packages() -> None:
    """What only the tests import belongs to the dev extra; the runtime has the rest."""
    runtime, dev = declared()
    imports = third_party(imported_modules(*TEST_SOURCES))
    undeclared = missing(imports, runtime | dev)
    assert not undeclared, f"neither a runtime dependency nor in the dev extra: {undeclared}"


def test_every_runtime_dependency_is_used_by_the_runtime() -> None:
    """A package only the tests use (httpx, a selftest's client) is no runtime dependency."""
    runtime, _ = declared()
    imports = third_party(imported_modules(*RUNTIME_PACKAGES))
    unused = sorted(runtime - imports.keys() - NOT_IMPORTED.keys())
    assert not unused, (
        f"runtime dependencies the runtime never imports (move them to dev): {unused}"
    )
    assert "httpx" not in runtime


def test_the_walk_sees_lazy_imports_and_flags_an_undeclared_one(tmp_path: Path) -> None:
    """The check can fail: an import inside a function, of a test-only package, is caught."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "late.py").write_text(
        "import os\n\ndef f():\n    import httpx._client\n    from yaml import safe_load\n"
    )
    modules = imported_modules("pkg", base=tmp_path)
    assert modules.keys() == {"os", "httpx", "yaml"}
    runtime, _ = declared()
    assert missing(third_party(modules), runtime) == ["httpx (imported by ['pkg/late.py'])"]
