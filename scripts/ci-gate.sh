#!/usr/bin/env bash
# The one step of the GitHub action (action.yml) and of the reusable workflow: the suite's gate,
# or its nightly, against the target the environment names (BASE_URL, API_KEY, ...). The suite's
# real exit status and its verdict become the step's outputs (`status`, `verdict` in
# $GITHUB_OUTPUT), the job summary is written, and the script exits with the suite's status.
#
#   scripts/ci-gate.sh [gate|nightly]
#
# The environment is installed from the hashed runtime lock when it is not there yet.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-gate}"
output="${GITHUB_OUTPUT:-/dev/null}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
reports="${REPORTS_DIR:-reports}"

if [ ! -x .venv/bin/conformance ]; then
  python3 -m venv .venv \
    && .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock \
    && .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps . \
    || { echo "status=3" >> "$output"; echo "verdict=the suite could not be installed" >> "$output"; exit 3; }
fi

.venv/bin/conformance "$mode"
status=$?

verdict=$(.venv/bin/python - "$reports/run.json" "$status" <<'PY'
import json, sys
from conformance.run.outcomes import VERDICT
try:
    run = json.load(open(sys.argv[1], encoding="utf-8"))
    print(f"{VERDICT.get(run['exit_status'], run['exit_status'])}: {run['exit_meaning']}")
except (OSError, ValueError, KeyError):
    print(f"{VERDICT.get(int(sys.argv[2]), 'exit status ' + sys.argv[2])}: no report was written")
PY
)
echo "status=$status" >> "$output"
echo "verdict=$verdict" >> "$output"
if [ -f "$reports/conformance.json" ]; then
  .venv/bin/python -m conformance.reports.htmlreport --job-summary "$reports/conformance.json" >> "$summary"
else
  echo "No conformance report: $verdict" >> "$summary"
fi
echo "conformance suite: $verdict (exit status $status)"
exit "$status"
