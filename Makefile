# riderbot: `make run` sets up .venv and runs the bot (or the local console without a token);
# `make test` sets up .venv with the test extras and runs lint, the test suite and the checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint install eval bench clean readme-tables

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata changes.
$(STAMP): pyproject.toml fakediscord/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]" -e ./fakediscord
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
	$(BIN)/ruff check bot tests fakediscord
	$(BIN)/hadolint --failure-threshold warning Dockerfile

test: lint
	$(BIN)/riderbot kb validate
	$(BIN)/python -m pytest
	$(BIN)/riderbot bench --quick

eval: $(STAMP)
	$(BIN)/riderbot eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
