# riderbot: `make run` sets up .venv and runs the bot (or the local console without a token);
# `make test` sets up .venv with the test extras and runs lint, the test suite and the checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-postgres postgres-check lint install eval bench clean readme-tables

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@if [ -n "$$DISCORD_TOKEN" ] || grep -qsE '^[[:space:]]*DISCORD_TOKEN=[^[:space:]]' .env; then \
		exec $(BIN)/riderbot run; \
	else \
		echo "No DISCORD_TOKEN set, so riderbot starts its local console instead of connecting to Discord."; \
		echo "To run it on Discord: create an application at https://discord.com/developers/applications,"; \
		echo "add a bot, copy its token, put DISCORD_TOKEN=... in .env and run 'make run' again (see README)."; \
		echo; \
		exec $(BIN)/riderbot chat; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/hadolint --failure-threshold warning Dockerfile

test: lint
	$(BIN)/riderbot kb validate
	$(BIN)/python -m pytest
	$(BIN)/riderbot bench --quick

# The storage tests also run against PostgreSQL when RIDERBOT_TEST_POSTGRES names a server
# (.ci/run sets it; each test creates and drops its own riderbot_test_<random> database).
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

test-postgres: $(STAMP)
	RIDERBOT_TEST_POSTGRES=$${RIDERBOT_TEST_POSTGRES:-$(POSTGRES_URL)} $(MAKE) postgres-check test

postgres-check: $(STAMP)
	$(BIN)/python -m tests.pg

eval: $(STAMP)
	$(BIN)/riderbot eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
