# The two commands: `make test` (the conformance suite) and `make selftest` (the project's own
# tests). Every variable below may also come from the environment.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The hashed pins (make lock): runtime, and runtime plus the dev extra (what make installs).
RUNTIME_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCKS := $(RUNTIME_LOCK) $(DEV_LOCK)
NODE_STAMP := node_modules/.installed
PORT ?= 8000
REPORTS_DIR ?= reports
export REPORTS_DIR

# The target. Without BASE_URL the embedded reference server runs on a free loopback port.
export BASE_URL API_KEY TEMPLATE_ID FORBIDDEN_API_KEY OTHER_API_KEY RATE_LIMIT RATE_WINDOW
# Budgets and generation.
export MAX_REQUESTS MAX_CAMPAIGNS MAX_TIME REQUEST_TIMEOUT TRANSPORT_RETRIES MAX_BODY SEED EXAMPLES DERANDOMIZE DEPTH
# The rules a strict gate accepts off, and the accepted deviations.
export ALLOW_OFF BASELINE
# The run history (SQLite; `off` for none) and how many runs per target it keeps.
export HISTORY_DB HISTORY_KEEP

# pytest caches its assertion-rewritten modules (Schemathesis's, hundreds of them) as bytecode;
# without the cache every run recompiles them, about a second each time.
unexport PYTHONDONTWRITEBYTECODE

CONFORMANCE := $(VENV)/bin/conformance

.PHONY: help test selftest lint lock serve plan gate nightly history judge bench mutation screens clean

# make exits 2 whenever a command fails, whatever the suite's own status: the command's verdict
# line names it, reports/run.json keeps it, and CI calls the command itself to get it
# (.venv/bin/conformance gate; README, "Exit statuses").

help:
	@echo "make test       the conformance suite (embedded reference server unless BASE_URL is set)"
	@echo "make selftest   the project's own tests and the mutation check side by side (SERIAL=1: in turn)"
	@echo "make gate       pre-release gate: fixed seed, derandomized, lean, strict (ALLOW_OFF)"
	@echo "make nightly    deep exploration: random seed (printed), DEPTH=nightly, <= 1000 requests"
	@echo "make plan       the requests and campaigns each part will spend; sends nothing"
	@echo "make history    the last runs of the target: exit, broken rules, new/fixed, p95"
	@echo "make judge      recorded traffic judged at zero requests (HAR=file)"
	@echo "make serve      the reference server in the foreground (PORT=8000)"
	@echo "make lint | bench | mutation | screens | clean"
	@echo "make lock       recompile the hashed lock files from pyproject.toml (UPGRADE=1: newest allowed)"
	@echo "variables: BASE_URL API_KEY TEMPLATE_ID FORBIDDEN_API_KEY OTHER_API_KEY RATE_LIMIT RATE_WINDOW"
	@echo "           MAX_REQUESTS MAX_CAMPAIGNS MAX_TIME REQUEST_TIMEOUT TRANSPORT_RETRIES MAX_BODY SEED EXAMPLES"
	@echo "           DERANDOMIZE DEPTH BASELINE ALLOW_OFF REPORTS_DIR HISTORY_DB HISTORY_KEEP (see README)"
	@echo "the same as a command: .venv/bin/conformance --help (its exit status is the suite's)"

# The venv holds exactly the lock's pins, each checked against its sha256; then the project
# itself, without resolving anything (a stale lock fails `make lint` and the selftests).
$(STAMP): pyproject.toml $(LOCKS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (PYTHON=$(PYTHON))")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# Recompile both locks from pyproject.toml (uv, hashed, Python 3.11 on Linux), keeping the pins
# that still fit; UPGRADE=1 takes the newest versions pyproject.toml allows.
lock: $(STAMP)
	$(PY) -m tooling.lock $(if $(UPGRADE),--upgrade)

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --silent
	@touch $@

test: $(STAMP)
	@$(CONFORMANCE) run

# The selftests and the mutation check side by side (SERIAL=1: one after the other); the time
# of each phase is printed at the end and kept in reports/selftest-times.json.
selftest: $(STAMP)
	$(PY) -m tooling.selftest $(if $(SERIAL),--serial)

mutation: $(STAMP)
	$(PY) -m tooling.mutation

lint: $(STAMP) $(NODE_STAMP)
	$(PY) -m tooling.lock --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	node_modules/.bin/redocly lint openapi/campaigns.yaml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(VENV)/bin/actionlint .github/workflows/*.yml

serve: $(STAMP)
	$(CONFORMANCE) serve --port $(PORT)

plan: $(STAMP)
	@$(CONFORMANCE) plan

# Pre-release gate: fixed seed, derandomized, lean, strict (never green with a rule off that
# ALLOW_OFF does not accept); fails on any finding not in the baseline.
gate: $(STAMP)
	@$(CONFORMANCE) gate

# Nightly: the deep exploration; the seed is printed and recorded in reports/run.json.
nightly: $(STAMP)
	@$(CONFORMANCE) nightly

history: $(STAMP)
	@$(CONFORMANCE) history

# Recorded traffic judged at zero requests: make judge HAR=reports/exchanges.har
judge: $(STAMP)
	@$(CONFORMANCE) judge $(HAR)

# The bench, then the measured figures of the paced gate against a rate-limited outside server
# (fixed and sliding windows, one to three minutes each) and make selftest's last phase times.
bench: $(STAMP)
	$(PY) -m tooling.bench
	$(PY) -m tooling.bench_paced

# The README's terminal copies and screenshot (docs/): a clean run, one broken rule.
screens: $(STAMP)
	$(PY) -m tooling.screens

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
	find $(REPORTS_DIR) -mindepth 1 ! -name .gitkeep -delete
