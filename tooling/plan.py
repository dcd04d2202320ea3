"""`make plan`: the requests the boundary matrix would send, as curl lines, the other tests by
name, and the requests and campaigns each part will spend with the wall time the pace sets at
RATE_LIMIT (60/min when unset). Sends nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.document import target_operation
from conformance.matrix import build_matrix
from conformance.redact import curl_line
from conformance.settings import ROOT, ConfigError, Settings, name_prefix


def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 4
    base = settings.base_url or "http://127.0.0.1:<embedded>"
    headers = {"x-api-key": "***", "Content-Type": "application/json"}
    cases = build_matrix(name_prefix())
    print(f"# boundary matrix: {len(cases)} requests to POST {base}{target_operation().path}")
    for case in cases:
        body = json.dumps(case.body, ensure_ascii=False)
        print(f"\n# {case.id}: expect {case.expect} [{case.rule}] {'; '.join(case.notes)}")
        print(curl_line("POST", base + target_operation().path, headers, body, "API_KEY"))
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/conformance",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = collected.stdout.splitlines()
    tests = [line for line in lines if "::" in line and "test_boundary" not in line]
    print(f"\n# other tests ({len(tests)}; some need optional keys):")
    print("\n".join(f"#   {t}" for t in tests))
    # The engine prints the cost of each part at collection (nothing is sent).
    start = next((i for i, line in enumerate(lines) if line.startswith("planned cost")), len(lines))
    print("\n# " + "\n# ".join(line for line in lines[start:] if line.strip() and "::" not in line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
