# riderbot: `make run` sets up .venv and runs the bot (or the local console without a token);
# `make test` sets up .venv with the test extras and runs lint, the test suite and the checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-postgres postgres-check lint install eval bench clean readme-tables lock typecheck
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--no-emit-options

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata or the lock changes. Versions come from the lock
# (requirements-dev.lock: runtime + test tools, pinned); riderbot and the fake Discord are then
# installed editable on top, without resolving anything again.
$(STAMP): pyproject.toml setup.py requirements-dev.lock fakediscord/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . -e ./fakediscord
	touch $(STAMP)

# After changing dependencies in pyproject.toml (or fakediscord/pyproject.toml): re-pin both locks.
# Existing pins are kept where they still fit; `make lock UPGRADE=--upgrade` takes the newest versions.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	$(PIP_COMPILE) $(UPGRADE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) $(UPGRADE) --extra test -o requirements-dev.lock pyproject.toml fakediscord/pyproject.toml

install: $(STAMP)

# Without a DISCORD_TOKEN (environment or .env, read by python-dotenv like `riderbot run` does) this
# explains how to get one and opens the local console.
run: $(STAMP)
	exec $(BIN)/riderbot start

lint: $(STAMP)
	$(BIN)/ruff check bot tests fakediscord setup.py
	$(BIN)/ruff format --check bot tests fakediscord setup.py
	$(BIN)/hadolint --failure-threshold warning Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
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
