"""A plain install, without the dev extra, enforces the `date-time` and `uuid` formats.

jsonschema's FormatChecker registers `date-time` only when rfc3339-validator is importable and
otherwise accepts any string; in this project's own venv a dev tool could bring it in and hide
its absence. So this builds a fresh venv in a temporary directory, installs the runtime lock
(requirements.lock, hashes required) into it, and validates there with the checker the engine
uses (`conformance.contract.document.format_checker`).

It needs a package index (or pip's cache) and takes about 15 s. It is skipped, saying so,
only when pip cannot fetch rfc3339-validator from any index it is configured for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.selftest.suite_runner import ROOT
from tooling import lock

PROBE = """
import importlib.util, json
from jsonschema import Draft202012Validator
from conformance.contract.document import format_checker

cases = {
    "date-time": ("garbage", "2026-11-30T12:00:00Z"),
    "uuid": ("garbage", "0b9f3d2e-6a4c-4f7e-9a51-2c8e7d1b4f60"),
}
out = {"dev_tools": [m for m in ("httpx", "openapi_spec_validator", "ruff") if importlib.util.find_spec(m)]}
for fmt, (bad, good) in cases.items():
    validator = Draft202012Validator({"format": fmt}, format_checker=format_checker())
    out[fmt] = {"bad_rejected": not validator.is_valid(bad), "good_accepted": validator.is_valid(good)}
print(json.dumps(out))
"""


def pip(python: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """This venv's pip acting on `python`'s environment (pip's --python): the fresh venv needs
    no pip of its own, which saves installing one into it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "--python",
            str(python),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_plain_install_enforces_date_time_and_uuid(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    pin = lock.pins(lock.RUNTIME.path).get("rfc3339-validator")
    assert pin, "requirements.lock does not pin rfc3339-validator: date-time would go unchecked"

    # Is any index reachable? Fetch the one package this test is about, bypassing the cache.
    reach = pip(
        python,
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--dest",
        str(tmp_path / "probe"),
        f"rfc3339-validator=={pin}",
        timeout=180,
    )
    if reach.returncode != 0:
        last = (reach.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"no package index reachable (pip download rfc3339-validator: {last})")

    installed = pip(
        python,
        "install",
        "--quiet",
        "--no-compile",  # bytecode is written on first import; compiling all of it is most of the time
        "--require-hashes",
        "--no-deps",
        "-r",
        str(lock.RUNTIME.path),
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    # The engine from this checkout, its dependencies from the fresh venv only.
    run = subprocess.run(
        [str(python), "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{PROBE}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    assert result["dev_tools"] == [], f"not a plain install: {result['dev_tools']}"
    for fmt in ("date-time", "uuid"):
        assert result[fmt]["bad_rejected"], f"a plain install accepts 'garbage' as {fmt}"
        assert result[fmt]["good_accepted"], f"a plain install rejects a valid {fmt}"
