# Mijn Week: `make run` sets everything up and starts the app; `make test` sets up and runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000
HTMX := webapp/static/vendor/htmx.min.js
FONTS := webapp/static/vendor/fonts/noto-sans-ethiopic-400.woff2 webapp/static/vendor/fonts/noto-sans-ethiopic-700.woff2
CATALOGS := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: setup run test bench translations extract compile-translations clean

setup: $(VENV)/.installed $(HTMX) $(FONTS) $(COMPILED)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(HTMX): node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

webapp/static/vendor/fonts/noto-sans-ethiopic-%.woff2: node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/@fontsource/noto-sans-ethiopic/files/noto-sans-ethiopic-ethiopic-$*-normal.woff2 $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo seed --base-url http://$(HOST):$(PORT)
	$(FLASK) notify keys >/dev/null
	@echo "Mijn Week runs at http://$(HOST):$(PORT)/ with its reminder worker (Ctrl-C stops both)"
	REMINDER_WORKER=in-process $(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print their figures and fail when a budget is missed (see bench/README.md).
bench: setup
	@status=0; \
	for benchmark in push_fanout page_weight queries_per_page server_cost load_test; do \
	  echo "== bench.$$benchmark"; \
	  $(BIN)/python -m bench.$$benchmark || status=1; \
	done; \
	exit $$status

# Extract every wrapped string, merge it into the catalogs, compile them.
translations: $(VENV)/.installed
	$(FLASK) translate update
	$(FLASK) translate compile

compile-translations: $(COMPILED)

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor $(COMPILED)
