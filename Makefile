# The two commands: `make run` and `make test`. Everything else is a helper for them.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install run test lint typecheck unit bench clean services system-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## Start caregate on the embedded SQLite file with the demo clinic loaded.
run: install
	CAREGATE_COOKIE_SECURE=$${CAREGATE_COOKIE_SECURE:-false} $(BIN)/caregate serve --demo

## Install what is needed and run the whole suite: lint, types, architecture, tests on SQLite and PostgreSQL.
test: install services system-deps lint typecheck unit

services:
	@bash scripts/services.sh

## Debian's chromium and the pinned axe-core for the console's browser tests (only when missing).
system-deps:
	@bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n 2 --dist loadgroup -q

bench: install services
	$(BIN)/python -m bench.decide

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
