# Guozi: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
STAMP := $(VENV)/.installed
DEMO_SEED ?= 20260828

.PHONY: setup setup-dev assets demo test lint bench messages serve clean

$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	@echo "==> Installing Guozi and its pinned dependencies (constraints.txt)"
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

VENDOR := guozi/static/vendor
FONT := node_modules/@fontsource/noto-sans-sc

$(VENDOR)/.installed: package.json package-lock.json
	@echo "==> Installing front-end assets (ECharts, Noto Sans SC) from the npm registry"
	npm ci --no-audit --no-fund --loglevel=error
	@rm -rf $(VENDOR) && mkdir -p $(VENDOR)/echarts $(VENDOR)/noto-sans-sc/files
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp $(FONT)/400.css $(FONT)/700.css $(FONT)/LICENSE $(VENDOR)/noto-sans-sc/
	cp $(FONT)/files/*-400-normal.woff2 $(FONT)/files/*-700-normal.woff2 $(VENDOR)/noto-sans-sc/files/
	@touch $@

assets: $(VENDOR)/.installed

messages: $(STAMP)
	@echo "==> Compiling translations"
	@cd guozi && ../$(BIN)/django-admin compilemessages --settings=guozi.settings -v 0

setup: $(STAMP) assets messages

setup-dev: setup

demo: export GUOZI_TODAY ?= 2026-08-28
demo: setup
	@echo "==> Migrating the embedded SQLite database in $${GUOZI_DATA_DIR:-var}"
	$(BIN)/guozi migrate --noinput -v 0
	@echo "==> Loading the Liaoning demo portfolio (seed $(DEMO_SEED))"
	$(BIN)/guozi load_demo --seed $(DEMO_SEED) --reset
	@echo "==> Starting web, worker and scheduler on http://127.0.0.1:8000 (Ctrl-C stops)"
	$(BIN)/guozi serve --port 8000

lint: $(STAMP)
	@echo "==> ruff check and ruff format --check"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint
	@echo "==> Running the test suite on $${DATABASE_URL:-SQLite}"
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	@echo "==> Running the benchmarks in bench/"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules var staticfiles
