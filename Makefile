# Two commands on a fresh machine: `make run` and `make test`. Each bootstraps the pinned
# environment (uv + uv.lock) itself.
SHELL := /bin/bash
# uv from PATH, else the copy pip put in ~/.local/bin, else `python3 -m uv` (re-evaluated at use).
UV = $(shell command -v uv 2>/dev/null || { [ -x $(HOME)/.local/bin/uv ] && echo $(HOME)/.local/bin/uv; } || echo python3 -m uv)
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export UV_PYTHON := 3.11

.PHONY: uv env run test test-fast lint imports bench dbt-docs chromium clean

uv:
	@command -v uv >/dev/null 2>&1 || [ -x $(HOME)/.local/bin/uv ] || python3 -m uv --version >/dev/null 2>&1 || \
	  python3 -m pip install --user --quiet uv || \
	  python3 -m pip install --user --quiet --break-system-packages uv || \
	  python3 -m pip install --quiet uv

env: uv
	@$(UV) sync --frozen --quiet

## run: the daily job once on data/pricewatch.duckdb (live; offline it falls back to bundled snapshots)
# `pricewatch run` exits 3 when no provider was reachable and it loaded the bundled snapshots: an
# error for cron and monitoring (call `pricewatch run` there), an offline demo here. RUN_ARGS are
# passed on (e.g. make run RUN_ARGS=--offline).
run: env
	@$(UV) run --frozen pricewatch run $(RUN_ARGS); status=$$?; \
	if [ $$status -eq 3 ]; then \
	  echo "warning: no provider was reachable: this was an offline demo on the bundled snapshots" \
	       "(pricewatch run exit code 3; make run accepts it, cron should call pricewatch run)" >&2; \
	  exit 0; \
	fi; \
	exit $$status

## test: lint (ruff, mypy, the import contract), then the whole test suite (installs headless Chromium
## for the report test when missing)
test: env chromium lint
	PRICEWATCH_REQUIRE_BROWSER=1 $(UV) run --frozen pytest -q

## imports: the layer contract (CLI > flows > reports > drift > cost_engine > warehouse > scrapers > core)
imports: env
	$(UV) run --frozen lint-imports --no-cache

## lint: ruff, mypy and the import contract (the same checks as .pre-commit-config.yaml)
lint: env imports
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy

test-fast: env
	$(UV) run --frozen pytest -q -m "not slow"

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing headless Chromium (Debian package) for the report browser test"; \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; the browser test will fail under make test"; }

## bench: benchmarks (each figure beside its peer or limit); the machine they ran on first
bench: env
	$(UV) sync --frozen --quiet --group bench
	@echo "machine: $$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	$(UV) run --frozen --group bench python -m benchmarks

## dbt-docs: the dbt project's documentation as one static page (open data/dbt/target/static_index.html)
dbt-docs: env
	$(UV) run --frozen pricewatch dbt docs generate --static
	@echo "dbt docs: $(or $(PRICEWATCH_DATA_DIR),data)/dbt/target/static_index.html"

clean:
	rm -rf data/pricewatch.duckdb data/pricewatch.duckdb.wal data/raw data/published reports/out
