"""The lock files match pyproject.toml, pin everything with hashes, and agree with each other.

Fast and offline: CI runs `make selftest` and `make test`, not `make lint`, so a pyproject.toml
edited without `make lock` fails here too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.selftest.suite_runner import ROOT
from tests.selftest.test_dependencies import canonical, declared
from tooling import lock


def test_locks_were_compiled_from_this_pyproject() -> None:
    problems = lock.stale_locks()
    assert not problems, f"{problems}: run `make lock` and commit the lock files"


def test_an_edited_pyproject_makes_both_locks_stale(tmp_path: Path) -> None:
    for name in ("pyproject.toml", lock.RUNTIME.name, lock.DEV.name):
        shutil.copy(ROOT / name, tmp_path / name)
    pyproject = tmp_path / "pyproject.toml"
    assert lock.stale_locks(pyproject, tmp_path) == []
    # A comment or a reformat changes no input: not stale.
    pyproject.write_text("# a comment\n" + pyproject.read_text())
    assert lock.stale_locks(pyproject, tmp_path) == []
    pyproject.write_text(pyproject.read_text().replace('"pytest>=8.3,<9.2"', '"pytest>=8.3"'))
    stale = lock.stale_locks(pyproject, tmp_path)
    assert [line.split(":")[0] for line in stale] == [lock.DEV.name, lock.RUNTIME.name]
    (tmp_path / lock.RUNTIME.name).unlink()
    assert "missing" in lock.stale_locks(pyproject, tmp_path)[1]


def test_every_pin_is_exact_and_hashed() -> None:
    """pip's --require-hashes needs both; a bare or ranged line would stop `make`."""
    for item in lock.LOCKS:
        entries: list[list[str]] = []
        for line in item.path.read_text().splitlines():
            if re.match(r"[A-Za-z0-9]", line):
                entries.append([line])
            elif line.startswith(" ") and entries:
                entries[-1].append(line)
            else:
                assert not line.strip() or line.startswith("#"), f"{item.name}: {line!r}"
        assert len(entries) > 10, f"{item.name} pins only {len(entries)}"
        for entry in entries:
            head = entry[0].split()[0]
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[^=\s]+", head), f"{item.name}: {head}"
            assert any("--hash=sha256:" in line for line in entry), f"{item.name}: {head} unhashed"


def test_the_locks_pin_what_pyproject_declares_and_agree() -> None:
    runtime, dev = declared()
    runtime_pins = {canonical(n): v for n, v in lock.pins(lock.RUNTIME.path).items()}
    dev_pins = {canonical(n): v for n, v in lock.pins(lock.DEV.path).items()}
    assert runtime <= runtime_pins.keys(), sorted(runtime - runtime_pins.keys())
    assert runtime | dev <= dev_pins.keys(), sorted((runtime | dev) - dev_pins.keys())
    # The runtime lock is the dev lock without the dev extra: no package at two versions.
    differ = {n: (v, dev_pins.get(n)) for n, v in runtime_pins.items() if dev_pins.get(n) != v}
    assert not differ, differ
    # pytest 9.2 renamed `_nodeid`, which Schemathesis 4.32 still uses.
    major, minor = (int(part) for part in runtime_pins["pytest"].split(".")[:2])
    assert (major, minor) < (9, 2), runtime_pins["pytest"]
