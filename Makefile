# The two commands: `make test` (the conformance suite) and `make selftest` (the project's own
# tests). Every variable below may also come from the environment.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PORT ?= 8000
REPORTS_DIR ?= reports
export REPORTS_DIR

# The target. Without BASE_URL the embedded reference server runs on a free loopback port.
export BASE_URL API_KEY TEMPLATE_ID FORBIDDEN_API_KEY OTHER_API_KEY RATE_LIMIT
# Budgets and generation.
export MAX_REQUESTS MAX_TIME REQUEST_TIMEOUT TRANSPORT_RETRIES SEED EXAMPLES DERANDOMIZE

# pytest caches its assertion-rewritten modules (Schemathesis's, hundreds of them) as bytecode;
# without the cache every run recompiles them, about a second each time.
unexport PYTHONDONTWRITEBYTECODE

PYTEST_REPORTS = --junitxml=$(REPORTS_DIR)/junit.xml --html=$(REPORTS_DIR)/report.html --self-contained-html

.PHONY: test selftest lint serve plan gate nightly bench mutation clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (PYTHON=$(PYTHON))")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --silent
	@touch $@

test: $(STAMP)
	$(PY) -m pytest tests/conformance $(PYTEST_REPORTS)

selftest: $(STAMP)
	$(PY) -m pytest tests/selftest
	$(PY) -m tooling.mutation

mutation: $(STAMP)
	$(PY) -m tooling.mutation

lint: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node_modules/.bin/redocly lint openapi/campaigns.yaml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/actionlint .github/workflows/*.yml

serve: $(STAMP)
	$(PY) -m refserver --host 127.0.0.1 --port $(PORT) --print-keys

plan: $(STAMP)
	$(PY) -m tooling.plan

# Pre-release gate: fixed seed, derandomized, fails on any finding not in the baseline.
gate: $(STAMP)
	SEED=$${SEED:-20261126} DERANDOMIZE=1 $(PY) -m pytest tests/conformance $(PYTEST_REPORTS)

# Nightly: a larger random budget; the seed is printed and recorded in reports/run.json.
nightly: $(STAMP)
	SEED=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')} EXAMPLES=$${EXAMPLES:-200} \
		$(PY) -m pytest tests/conformance $(PYTEST_REPORTS)

bench: $(STAMP)
	$(PY) -m tooling.bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
	find $(REPORTS_DIR) -mindepth 1 ! -name .gitkeep -delete
