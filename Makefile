# Two entry points (see README): `make ui` runs the product, `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: ui test lint install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

ui: $(STAMP)
	$(BIN)/kb-assistant ui

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy assistant
	$(BIN)/kb-assistant kb lint

test: $(STAMP) lint
	$(BIN)/pytest -q
