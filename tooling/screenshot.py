"""A PNG of an HTML report, to check by eye how it reads (wrapping, clarity) without a desktop.

    python -m tooling.screenshot reports/summary.html out.png [--width 1280] [--height 2400]

Runs Debian's Chromium headless with a fresh profile and no background traffic: the page is a
local file and has no external resources, so nothing leaves the machine. Chromium's
--screenshot captures the window, not the whole page: --height sets how much is seen.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def command(page: Path, out: Path, width: int, height: int, profile: Path) -> list[str]:
    return [
        str(CHROMIUM),
        "--headless",
        # Root in a container has no user namespace for the sandbox; the page is our own file.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--screenshot={out}",
        page.resolve().as_uri(),
    ]


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    """`page` rendered to `out`; raises RuntimeError when Chromium fails or writes nothing."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # a stale PNG must not pass for this run's
    # A fresh profile each time: no state from an earlier run, and nothing left behind.
    with tempfile.TemporaryDirectory(prefix="screenshot-") as profile:
        proc = subprocess.run(
            command(page, out, width, height, Path(profile)),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"chromium exited {proc.returncode}, no {out}: {' | '.join(tail)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.screenshot", description=__doc__)
    parser.add_argument("page", type=Path, help="the HTML file")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400, help="what is captured, in px")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 2
    if not args.page.is_file():
        print(f"{args.page}: no such file", file=sys.stderr)
        return 2
    try:
        out = screenshot(args.page, args.out, args.width, args.height)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot failed: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
