"""`make plan`: the requests the deterministic boundary matrix would send, as curl lines.

Sends nothing. The other deterministic tests (auth, robustness, semantic) are listed by name.
"""

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
            "-m",
            "semantic or auth or robustness or rate_limit",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    tests = [line for line in collected.stdout.splitlines() if "::" in line]
    print(
        f"\n# other deterministic tests ({len(tests)}; some send two requests or need optional keys):"
    )
    print("\n".join(f"#   {t}" for t in tests))
    print("\n# then the property-based tests (Schemathesis) with the remaining budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
