# Every target creates (or reuses) .venv with Python 3.11; a fresh machine needs nothing else.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the classroom demo's front-end files (npm) and the browser its test drives (Debian's
# chromium, installed when missing and running as root; without it the browser test skips)
DEMO := $(VENV)/.demo-installed
$(DEMO): $(STAMP) model/demo/assets.py
	$(BIN)/python -m regroup.demo.assets
	command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  echo "chromium could not be installed: the demo's browser test will skip"
	touch $(DEMO)

run: $(STAMP)
	$(BIN)/regroup run scenarios/baseline.yaml --replicates 60 --workers 2 --out results/baseline

test: $(STAMP) $(DEMO)
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/ruff format --check model tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

docs: $(STAMP)
	$(BIN)/regroup params --out docs/parameters.md

clean:
	rm -rf $(VENV) results .pytest_cache
