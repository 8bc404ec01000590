# The README's two commands are `make demo` and `make test`.
# Each creates (or reuses) .venv and installs what it needs by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
N      ?= 200000

.PHONY: demo test lint typecheck pytest bench clean messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "huiqi needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# ARGS: more options for `huiqi demo`, e.g. make demo ARGS=--reuse
demo: $(STAMP)
	$(BIN)/huiqi demo --enterprises $(N) $(ARGS)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check huiqi tests benchmarks
	$(BIN)/ruff format --check huiqi tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q --durations=20

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matching.py

# The portal's messages: extract from code and templates, merge into the catalogues
# (then translate the new entries of huiqi/web/locale/zh_CN/LC_MESSAGES/messages.po).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k N_plural:1,2 --no-location --omit-header --sort-output -o huiqi/web/locale/messages.pot huiqi/web
	$(BIN)/pybabel update --no-fuzzy-matching -i huiqi/web/locale/messages.pot -d huiqi/web/locale -l zh_CN

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
