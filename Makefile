# Two commands for a newcomer: `make run` and `make test`. Each sets itself up.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# Test processes (pytest-xdist): most tests wait on sockets and subprocesses, so even
# two cores keep four busy. WORKERS=0 runs in one process.
WORKERS ?= 4

.PHONY: run once test test-all lint types eval bench clean lock

# The venv installs exactly what requirements.lock pins (every package, dev tools
# included, with hashes), then Threadline itself; `make lock` regenerates the lock.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PY=/path/to/python3.11)"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	  echo "$(LOCK) does not satisfy pyproject.toml: run make lock"; exit 1; }
	@touch $(STAMP)

## lock: pin every dependency, the dev extra's included, for this Python (3.11) in
## requirements.lock (pip-tools, installed into the venv for this only)
lock:
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --generate-hashes --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

## run: the bot on the embedded default (SQLite under ./data/, console output without chat tokens)
run: $(STAMP)
	$(BIN)/threadline run

## once: one poll cycle of every feed, deliver, exit
once: $(STAMP)
	$(BIN)/threadline run --once

## lint: style, formatting, dead code (vulture) and the import layers (import-linter)
lint: $(STAMP)
	$(BIN)/ruff check bot tests bench migrations
	$(BIN)/ruff format --check bot tests bench migrations
	$(BIN)/vulture
	$(BIN)/lint-imports --no-cache

## types: mypy strict (and the in-memory store double checked against the services' Protocols)
types: $(STAMP)
	$(BIN)/mypy bot
	$(BIN)/mypy --follow-imports=silent tests/support/memory_store.py tests/support/store_rows.py tests/service/test_store_contract.py

## test: lint, types and the fast suite, the one to run all day (PostgreSQL tests run
## when THREADLINE_TEST_POSTGRES_URL is set)
test: lint types
	$(BIN)/pytest -n $(WORKERS) -m "not slow and not faults"

## test-all: lint, types and every suite, slow and fault tests included (what CI runs)
test-all: lint types
	$(BIN)/pytest -n $(WORKERS)

## eval: accuracy on the labelled corpus (needs ../shared/corpus)
eval: $(STAMP)
	$(BIN)/python bench/eval_corpus.py ../shared/corpus/dev.jsonl --min-precision 0.97 --min-f1 0.95 --max-false-flips 0 --max-lag 1

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
