# The two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export INVOICING_DATABASE_URL ?= sqlite:///./invoicing.db

.PHONY: install run test lint fmt clean bench bench-quick fuzz

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/invoicing migrate
	$(BIN)/invoicing serve --host 127.0.0.1 --port 8000 --with-worker

lint: install
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations
	$(BIN)/mypy app

fmt: install
	$(BIN)/ruff format app tests migrations
	$(BIN)/ruff check --fix app tests migrations

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The nightly kind of check (docs/RELIABILITY.md): the contract fuzzer and the state machine with many
# more examples than `make test` runs; set INVOICING_TEST_POSTGRES_URL to cover PostgreSQL too.
FUZZ_EXAMPLES ?= 200
FUZZ_SEQUENCES ?= 300

fuzz: install
	INVOICING_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) INVOICING_STATEFUL_EXAMPLES=$(FUZZ_SEQUENCES) \
		$(BIN)/python -m pytest -q tests/reliability/test_fuzz.py tests/reliability/test_state_machine.py $(PYTEST_ARGS)

# Benchmarks (bench/, docs/PERFORMANCE.md): BENCH_ARGS='--postgres URL' for PostgreSQL.
BENCH_STAMP := $(VENV)/.installed-bench-stamp

$(BENCH_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache invoicing.db*
