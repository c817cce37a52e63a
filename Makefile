# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test browser-deps bench-deps lint format bench charts-css clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests drive Debian's Chromium: installed here when missing (as root), so that
# `make test` alone does the whole set-up on a bare machine.
browser-deps:
	@sh scripts/browser-deps.sh

test: $(VENV)/.installed browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark: `make bench` at the city's size (1×), `make bench SCALE=10` at ten times it.
# wrk (Debian) is installed when missing and we are root, like Chromium for the browser tests.
SCALE ?= 1
BENCH_ARGS ?=

bench-deps:
	@sh scripts/bench-deps.sh

bench: $(VENV)/.installed bench-deps
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)

# The chart rules every pygal chart shares, as a static stylesheet (see views/charts.py).
charts-css: $(VENV)/.installed
	$(BIN)/python -c "from happy_rivers.views import charts; print(charts.stylesheet(), end='')" > happy_rivers/static/css/charts.css

clean:
	rm -rf $(VENV) .pytest_cache
