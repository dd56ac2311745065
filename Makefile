# pintu — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
LOCALES := id en

SCHEMA_EXAMPLES ?= 50

.PHONY: run test test-postgres test-schema bench lint locales clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The bot reads the .po catalogs as they are (bot/domain/i18n.py): nothing to build.
# This reads each one as gettext would and says how complete it is.
locales: $(VENV)/.run-installed
	for locale in $(LOCALES); do \
	  $(BIN)/pybabel compile --statistics -l $$locale -i locales/$$locale/LC_MESSAGES/messages.po -o /dev/null || exit 1; \
	done

run: $(VENV)/.run-installed
	$(BIN)/pintu serve

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.dev-installed lint
	$(BIN)/pytest -q

test-postgres: $(VENV)/.dev-installed
	PINTU_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

# The schema-driven run alone, with more requests per route than `make test` makes.
test-schema: $(VENV)/.dev-installed
	PINTU_SCHEMA_EXAMPLES=$(SCHEMA_EXAMPLES) $(BIN)/pytest -q tests/test_schema_run.py

# The webhook benchmark (bench/README.md): naive and pintu, Telegram and WhatsApp, the
# free-text and first-message mixes, officers' replies, on SQLite and on the PostgreSQL
# database BENCH_POSTGRES (dropped and created again for each run; empty: SQLite only).
# One table at the end; ~5 minutes with the defaults.
BENCH_SECONDS ?= 10
BENCH_ROUNDS ?= 1
BENCH_POSTGRES ?= postgresql+asyncpg://postgres@127.0.0.1:5432/pintu_bench

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.webhook_load --matrix --seconds $(BENCH_SECONDS) \
	  --rounds $(BENCH_ROUNDS) $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

clean:
	rm -rf $(VENV)
