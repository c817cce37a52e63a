# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test browser-deps bench-deps lint format bench charts-css translations catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned dependencies or the build step change. The install also
# compiles the translation catalogs (setup.py).
$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed catalogs
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests drive Debian's Chromium: installed here when missing (as root), so that
# `make test` alone does the whole set-up on a bare machine.
browser-deps:
	@sh scripts/browser-deps.sh

test: $(VENV)/.installed catalogs browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translations (README, "Translations"). `make translations` finds every message id (babel.cfg;
# N_ and _ are pybabel's default keywords, lazy_gettext and scoring's Text are added —
# tests/test_i18n.py extracts the same way), adds new ids to each catalog with an empty
# translation, drops unused ones, compiles the catalogs and lists the ids that still need English. Fill those in by hand in the .po, then
# `make catalogs` (or `make translations` again) compiles. One msgid and msgstr per line, sorted,
# file names without line numbers: a moved string changes nothing, and merges stay local.
CATALOGS := happy_rivers/translations
PYBABEL := $(BIN)/pybabel
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po))

translations: $(VENV)/.installed
	@mkdir -p build
	$(PYBABEL) -q extract -F babel.cfg -k lazy_gettext -k Text --add-location=file --sort-output \
		--no-wrap -o build/messages.pot .
	$(PYBABEL) -q update -i build/messages.pot -d $(CATALOGS) --no-wrap --ignore-obsolete \
		--no-fuzzy-matching --ignore-pot-creation-date
	$(PYBABEL) -q compile -d $(CATALOGS)
	@for po in $(CATALOGS)/*/LC_MESSAGES/messages.po; do \
		grep -B1 '^msgstr ""$$' $$po | grep '^msgid ' | grep -v '^msgid ""$$' \
			| sed "s|^msgid |no translation yet in $$po: |"; \
	done; true

# The compiled catalogs the app reads (build output, git-ignored): remade when a .po changes.
catalogs: $(MO_FILES)

$(CATALOGS)/%/LC_MESSAGES/messages.mo: $(CATALOGS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(PYBABEL) -q compile -d $(CATALOGS) -l $*

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
