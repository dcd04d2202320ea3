"""The hashed lock files, and whether they still match pyproject.toml.

    python -m tooling.lock             # recompile both locks (`make lock`), keeping pins that still fit
    python -m tooling.lock --upgrade   # the newest versions pyproject.toml allows (`make lock UPGRADE=1`)
    python -m tooling.lock --check     # exit 1 when a lock is stale; reads files only, no network

uv (`uv pip compile --generate-hashes`) resolves for Python 3.11 on Linux: first
requirements-dev.lock (runtime + the dev extra), then requirements.lock (runtime) constrained
to it, so the two never pin one package at two versions. Each lock then gets a first line with
the sha256 of the [project] dependencies and optional-dependencies it was compiled from; the
check compares that line with pyproject.toml as it is now, so an edited pyproject.toml without
a `make lock` fails `make lint` and the selftests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PYTHON_VERSION = "3.11"
PLATFORM = "linux"
DIGEST_LINE = re.compile(r"^# pyproject-sha256: ([0-9a-f]{64})\b", re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    """One lock file and the extras of pyproject.toml it covers."""

    name: str
    extras: tuple[str, ...]

    @property
    def path(self) -> Path:
        return ROOT / self.name


DEV = Lock("requirements-dev.lock", ("dev",))
RUNTIME = Lock("requirements.lock", ())
# Compiled in this order: the runtime lock is constrained to the dev lock's pins.
LOCKS = (DEV, RUNTIME)


def inputs_digest(pyproject: Path = PYPROJECT) -> str:
    """sha256 of what a lock is compiled from: [project] dependencies and optional-dependencies.

    Taken over the parsed lists, so a reformatted or re-commented pyproject.toml is not stale.
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    inputs = {
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    """The digest written into `lock` by `make lock`, or None when it has none."""
    if not lock.is_file():
        return None
    match = DIGEST_LINE.search(lock.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def stale_locks(pyproject: Path = PYPROJECT, root: Path = ROOT) -> list[str]:
    """One line per lock that is missing or was compiled from other inputs; empty when fresh."""
    want = inputs_digest(pyproject)
    problems = []
    for lock in LOCKS:
        path = root / lock.name
        got = recorded_digest(path)
        if got is None:
            problems.append(f"{lock.name}: missing, or has no '# pyproject-sha256:' line")
        elif got != want:
            problems.append(
                f"{lock.name}: compiled from other [project] dependencies than pyproject.toml's "
                f"(recorded {got[:12]}, now {want[:12]})"
            )
    return problems


def compile_command(lock: Lock, output: Path, upgrade: bool) -> list[str]:
    cmd = [sys.executable, "-m", "uv", "pip", "compile", str(PYPROJECT.name)]
    for extra in lock.extras:
        cmd += ["--extra", extra]
    if lock is RUNTIME:
        cmd += ["--constraint", DEV.name]
    cmd += [
        "--generate-hashes",
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        PLATFORM,
        "--custom-compile-command",
        "make lock",
        "--quiet",
        "--output-file",
        str(output),
    ]
    # Without --upgrade uv keeps the pins already in the output file wherever they still fit.
    if upgrade:
        cmd.append("--upgrade")
    return cmd


def write_locks(upgrade: bool) -> None:
    """Recompile each lock into a scratch copy; replace it only when its text changed, so an
    unchanged lock keeps its mtime and `make` does not reinstall the venv for nothing."""
    digest = inputs_digest()
    header = (
        f"# pyproject-sha256: {digest} (the [project] dependencies and optional-dependencies "
        "this lock was compiled from; `make lock` writes it, the selftests compare it)\n"
    )
    for lock in LOCKS:
        scratch = lock.path.with_name(lock.name + ".new")
        # uv takes the pins already in its output file as preferences: seed it with the lock's
        # versions, but not its hashes, which uv would carry over unchecked.
        if lock.path.is_file():
            preferred = "".join(f"{name}=={version}\n" for name, version in pins(lock.path).items())
            scratch.write_text(preferred, encoding="utf-8")
        try:
            subprocess.run(compile_command(lock, scratch, upgrade), cwd=ROOT, check=True)
            body = DIGEST_LINE.sub("", scratch.read_text(encoding="utf-8")).lstrip("\n")
        finally:
            scratch.unlink(missing_ok=True)
        text = header + body
        old = lock.path.read_text(encoding="utf-8") if lock.path.is_file() else None
        if text != old:
            lock.path.write_text(text, encoding="utf-8")
        state = "unchanged" if text == old else "written"
        print(f"{lock.name}: {state}, {len(pins(lock.path))} pins, for {digest[:12]}")


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line in `lock`."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock.read_text(), re.M)
    return dict(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.lock", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a lock is stale")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_locks()
        for line in problems:
            print(f"stale lock: {line}; run `make lock`", file=sys.stderr)
        return 1 if problems else 0
    write_locks(args.upgrade)
    return 0


if __name__ == "__main__":
    sys.exit(main())
