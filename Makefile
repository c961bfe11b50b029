# Two commands matter: `make run` and `make test`. Both set up .venv from the lock file first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser office run test lint lock sample bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Run the nightly pipeline on the bundled sample data into data/spf.duckdb.
run: setup
	$(BIN)/spf run

## Debian's Chromium and ChromeDriver, for the test that opens Data Docs in a real browser.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } || \
	  echo "make: install Debian's chromium and chromium-driver (as root) for the browser test"

## Debian's headless LibreOffice Calc, for the tests that read workbooks saved by LibreOffice
## (.xls, .ods, .xlsx) and not only by openpyxl.
office:
	@command -v soffice >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui; } || \
	  echo "make: install Debian's libreoffice-calc-nogui (as root) for the workbook format tests"

## Lint (Python, the layer contract, the dbt SQL), then the whole test suite (includes the
## real Prefect server test).
test: lint browser office
	$(BIN)/python -m pytest -n 2 --dist loadscope --durations=15

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint dbt_project/models

## Re-resolve the pinned dependencies after editing pyproject.toml.
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test -o requirements.lock \
	    --python-version 3.11 --no-header --custom-compile-command "make lock"

## Every scenario of issue 16 at full scale (5,000 workbooks, 6,000 interventions) and a scaling
## series, in one run: results.json, results.md and scaling.png in /tmp/spf-bench.
bench: setup
	$(BIN)/python tests/benchmarks/scale.py

## Regenerate the bundled sample workbooks and project reports (deterministic).
sample: setup
	$(BIN)/python -m ingest.samples.generate
	$(BIN)/python -m ingest.samples.generate_rmt

clean:
	rm -rf data dbt_project/target dbt_project/logs
