# The two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export INVOICING_DATABASE_URL ?= sqlite:///./invoicing.db

.PHONY: install run test test-fast lint fmt clean bench bench-quick bench-reads bench-auto bench-finance bench-export bench-instructions fuzz console console-lint console-test console-api console-screenshots

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The console (web/, docs/CONSOLE.md) needs Node.js 20.19+; without it the API still runs.
NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null && echo yes)
NO_NODE := Console skipped: it needs Node.js 20.19 or newer (https://nodejs.org/ or your package manager); then make run builds it. The API works without it.
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)

ifeq ($(NODE_OK),yes)
web/node_modules/.installed-stamp: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed-stamp $(WEB_SOURCES)
	cd web && npm run build

console: web/dist/index.html

console-lint: web/node_modules/.installed-stamp
	cd web && npm run lint

console-test: web/node_modules/.installed-stamp
	cd web && npm test

# Regenerate the console's API types from the app's OpenAPI document (tests/console checks they match).
console-api: install web/node_modules/.installed-stamp
	$(BIN)/python -m tests.console.openapi_types web/src/lib/api/schema.d.ts
else
console console-lint console-test console-api:
	@echo '$(NO_NODE)'
endif

# The screenshots in docs/console (README, docs/CONSOLE.md), taken by the browser journeys.
console-screenshots: install console
	INVOICING_CONSOLE_SCREENSHOTS=docs/console $(BIN)/python -m pytest -q tests/console/test_journey.py tests/console/test_journey_zh.py tests/console/test_deficit.py tests/console/test_every_page.py

# `make run PORT=8080` serves on another port.
PORT ?= 8000

# The embedded default issues through the built-in sandbox tax platform (SPEC §8): Request Now to an
# emailed PDF without typing a number. Production's default stays `manual` (app/core/settings.py).
run: install console
	$(BIN)/invoicing migrate
	INVOICING_TAX_PLATFORM=$${INVOICING_TAX_PLATFORM:-sandbox} $(BIN)/invoicing serve --host 127.0.0.1 --port $(PORT) --with-worker

lint: install console-lint
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations
	$(BIN)/mypy app

fmt: install
	$(BIN)/ruff format app tests migrations
	$(BIN)/ruff check --fix app tests migrations

# The suite runs in parallel (pytest-xdist), one process per core, each with databases of its own;
# TEST_WORKERS=0 runs it in this process (pdb, serial timings). `make test` prints the 20 slowest.
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

# The console's unit tests, then the suite (tests/console drives the built console in Chromium).
test: lint console console-test
	$(BIN)/python -m pytest $(PARALLEL) --durations=20 $(PYTEST_ARGS)

# The inner loop: SQLite only, without the browser tests, real serve/worker processes, concurrency
# under load, fuzzing and the state machine (the `slow`, `browser` and `postgres` markers), no lint.
FAST := not slow and not browser and not postgres

test-fast: install
	$(BIN)/python -m pytest $(PARALLEL) -q -m '$(FAST)' $(PYTEST_ARGS)

# The nightly kind of check (docs/RELIABILITY.md): the contract fuzzer and the state machine with many
# more examples than `make test` runs; set INVOICING_TEST_POSTGRES_URL to cover PostgreSQL too.
FUZZ_EXAMPLES ?= 200
FUZZ_SEQUENCES ?= 300

fuzz: install
	INVOICING_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) INVOICING_STATEFUL_EXAMPLES=$(FUZZ_SEQUENCES) \
		$(BIN)/python -m pytest $(PARALLEL) -q --durations=0 \
		tests/reliability/test_fuzz.py tests/reliability/test_state_machine.py $(PYTEST_ARGS)

# Benchmarks (bench/, docs/PERFORMANCE.md): BENCH_ARGS='--postgres URL' for PostgreSQL.
BENCH_STAMP := $(VENV)/.installed-bench-stamp

$(BENCH_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# SQLite, then PostgreSQL when BENCH_POSTGRES is set (issue 24: every target on both databases).
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(if $(BENCH_POSTGRES),$(BIN)/python -m bench.run --postgres $(BENCH_POSTGRES) $(BENCH_ARGS))

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)
	$(if $(BENCH_POSTGRES),$(BIN)/python -m bench.run --quick --postgres $(BENCH_POSTGRES) $(BENCH_ARGS))

# The read path at 32 connections (issue 24): F0 (bare ASGI), F1 (/healthz), GET /v1/account and
# the other reads with wrk, SQLite then PostgreSQL when BENCH_POSTGRES is set. Needs wrk: `sudo
# apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS). Seeds the quick data set if missing.
BENCH_POSTGRES ?=
bench-reads: $(BENCH_STAMP)
	$(BIN)/python -m bench.reads --quick $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES)) $(BENCH_ARGS)

# Automatic invoicing at scale: accounts/s and peak RSS at each AUTO_SCALES, AUTO_WORKERS processes
# side by side (on PostgreSQL when BENCH_POSTGRES is set).
AUTO_SCALES ?= 10000,100000
AUTO_WORKERS ?= 2
bench-auto: $(BENCH_STAMP)
	$(BIN)/python -m bench.worker --auto-only $(AUTO_SCALES) --auto-workers $(AUTO_WORKERS) $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

# The finance desk (issue 22, docs/FINANCE.md): the filtered finance lists as rows of the bench's
# table beside the floors and the unfiltered list (quick scale, a few minutes; FINANCE_SCALE=full for
# the full data set), and the export's time and server peak RSS at EXPORT_REQUESTS requests (default
# 10000; 100000 is the issue's figure). Both on PostgreSQL when BENCH_POSTGRES is set.
FINANCE_SCALE ?= quick
EXPORT_REQUESTS ?= 10000
bench-finance: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(if $(filter quick,$(FINANCE_SCALE)),--quick) --no-worker \
		--only 'finance,first page,deep page' $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES)) $(BENCH_ARGS)

bench-export: $(BENCH_STAMP)
	$(BIN)/python -m bench.export --requests $(EXPORT_REQUESTS) $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

# Instructions per request (valgrind's callgrind; robust to other load on the machine).
bench-instructions: $(BENCH_STAMP)
	$(BIN)/python -m bench.instructions F00 healthz F1 account $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache invoicing.db* web/node_modules web/dist
