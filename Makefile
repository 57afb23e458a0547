# The README's commands. Each bootstraps what it needs from a fresh clone:
# the virtualenv with pinned packages, the dbt manifest and the demo data.
PYTHON ?= python3
# The system's Python, found before PATH puts the venv first (the venv's python3 has no pip).
SYSTEM_PYTHON := $(shell command -v $(PYTHON))
VENV   := .venv
BIN    := $(VENV)/bin
TENANT ?= west_yorkshire

# Offline by design: no telemetry from dbt, Great Expectations or Dagster.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME := $(CURDIR)/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: bootstrap run test bench ui demo-data docs clean

# uv installs the pinned packages in about 20 s where pip takes about 100 s; it compiles them to
# bytecode at install because CI sets PYTHONDONTWRITEBYTECODE, so nothing would cache it later.
UV_VERSION := 0.13.9
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode

# The venv is made without pip (ensurepip takes ~4 s) and uv is put in it by the system's pip; a pip
# too old for --python (before 22.3) gets the venv its own pip first.
$(BIN)/uv:
	test -x $(BIN)/python || $(SYSTEM_PYTHON) -m venv --without-pip $(VENV)
	$(SYSTEM_PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
	  || { $(BIN)/python -m ensurepip && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }

$(BIN)/.installed: requirements.lock pyproject.toml $(BIN)/uv
	$(UV) -r requirements.lock
	$(UV) --no-deps -e .
	touch $@

DBT_FILES := $(shell find dbt -path dbt/target -prune -o -path dbt/logs -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

dbt/target/manifest.json: $(BIN)/.installed $(DBT_FILES)
	$(BIN)/pccw dbt-parse --tenant $(TENANT)

$(BIN)/.test-installed: $(BIN)/.installed requirements-test.lock
	$(UV) -r requirements-test.lock
	touch $@

bootstrap: $(BIN)/.installed dbt/target/manifest.json

run: bootstrap
	$(BIN)/pccw run --tenant $(TENANT)

# Two workers (the machine's two cores); a module's tests, and the tests of the shared demo
# offices, each stay on one worker (tests/conftest.py), so each office is built once.
test: bootstrap $(BIN)/.test-installed
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# Timings and peak memory into BENCHMARKS.md (about 30 min; keeps ~8 GB of generated files in var/bench).
BENCH_ARGS ?=
bench: bootstrap
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

ui: bootstrap
	$(BIN)/dagster dev -m dagster_project.definitions

docs: bootstrap
	$(BIN)/pccw docs --tenant $(TENANT)

demo-data: bootstrap
	$(BIN)/pccw demo-data --tenant $(TENANT)

clean:
	rm -rf var dbt/target dbt/logs reports/out sources/*/inbox
