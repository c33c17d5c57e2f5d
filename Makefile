# Two entry points (see README): `make ui` runs the product, `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: ui test lint install browser eval vectors

$(STAMP): pyproject.toml
	@echo "installing kb-assistant into $(VENV) (a few minutes the first time)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)
	@echo "installed: run .venv/bin/kb-assistant, or '. .venv/bin/activate' then kb-assistant"

ui: $(STAMP)
	$(BIN)/kb-assistant ui

# The browser tests drive Debian's Chromium (never a downloaded build); CJK fonts for the screenshots.
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy assistant
	MYPYPATH=ui $(BIN)/mypy ui/app.py ui/kbui ui/views
	$(BIN)/kb-assistant kb lint

test: $(STAMP) lint browser
	$(BIN)/pytest -q

# The answer-quality gate: the public set in deterministic mode; exit 1 below eval/thresholds.toml.
eval: $(STAMP)
	$(BIN)/kb-assistant eval --mode deterministic

# The bundled knowledge base's chunk vectors (vectors/, committed): a fresh install indexes kb/ from them
# without running the model. Run after changing an article; a test fails while they are stale.
vectors: $(STAMP)
	$(BIN)/kb-assistant kb vectors
