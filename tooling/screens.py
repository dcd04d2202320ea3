"""The README's pictures, regenerated: what the terminal shows for a clean run and for a run
with one broken rule (`docs/terminal-clean.txt`, `docs/terminal-one-broken-rule.txt`), and the
broken run's summary page in headless Chromium (`docs/summary-one-broken-rule.png`).

    python -m tooling.screens        (make screens)

Both runs are `conformance run` against the embedded reference server, the second with a
planted defect (`validation_path_generic`: every 422 names the path `body`); the history is off,
so each is the same first run it would be on a new machine. The temporary reports directory is
shown as `reports/`, where a user's run writes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.settings import ROOT
from tooling.runs import child_env
from tooling.screenshot import screenshot

COMMAND = str(Path(sys.executable).with_name("conformance"))
DEFECT = "validation_path_generic"


def terminal(reports: Path, **env: str) -> tuple[int, str]:
    """What `conformance run` prints (stdout and stderr, as a terminal shows them)."""
    run = subprocess.run(
        [COMMAND, "run"],
        cwd=ROOT,
        env=child_env(REPORTS_DIR=str(reports), HISTORY_DB="off", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    return run.returncode, run.stdout.replace(f"{reports}/", "reports/").replace(
        str(reports), "reports"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        clean_code, clean = terminal(Path(tmp) / "clean")
        broken_code, broken = terminal(Path(tmp) / "broken", REFSERVER_DEFECT=DEFECT)
        if (clean_code, broken_code) != (0, 1):
            print(f"unexpected exit statuses {clean_code} and {broken_code}:\n{clean}\n{broken}")
            return 1
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "terminal-clean.txt").write_text("$ make test\n" + clean, encoding="utf-8")
        (args.out / "terminal-one-broken-rule.txt").write_text(
            f"$ REFSERVER_DEFECT={DEFECT} make test\n" + broken, encoding="utf-8"
        )
        page = Path(tmp) / "broken" / "summary.html"
        screenshot(page, args.out / "summary-one-broken-rule.png", 1280, 1400)
    print(f"wrote {args.out}/terminal-clean.txt, terminal-one-broken-rule.txt and the PNG")
    return 0


if __name__ == "__main__":
    sys.exit(main())
