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

.PHONY: setup system-packages run test bench translations extract compile-translations clean

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

# The Ge'ez web font, cut by pyftsubset (fontTools) to the Tigrinya syllabary and the Ge'ez the app
# writes; which characters and options, and why: webapp/ethiopic_font.py.
webapp/static/vendor/fonts/noto-sans-ethiopic-%.woff2: node_modules/.package-lock.json $(VENV)/.installed \
		webapp/ethiopic_font.py webapp/translations/ti/LC_MESSAGES/messages.po webapp/demo/seed.py
	$(BIN)/python -m webapp.ethiopic_font \
		node_modules/@fontsource/noto-sans-ethiopic/files/noto-sans-ethiopic-ethiopic-$*-normal.woff2 $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo seed --base-url http://$(HOST):$(PORT)
	$(FLASK) notify keys >/dev/null
	@echo "Mijn Week runs at http://$(HOST):$(PORT)/ with its reminder worker (Ctrl-C stops both)"
	REMINDER_WORKER=in-process $(FLASK) run --host $(HOST) --port $(PORT)

# Debian packages the tests need: the browser, fonts with Ge'ez and Arabic glyphs, a D-Bus
# daemon (the notification-tap test runs its own bus) and Java (the Nu HTML checker).
# Each is looked for by what the tests use, so another distribution's copy counts too.
system-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans Ethiopic" || missing="$$missing fonts-noto-core"; \
	command -v dbus-daemon >/dev/null || missing="$$missing dbus-daemon"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "The tests need Debian packages that are missing; run: sudo apt-get install -y$$missing"; exit 1; fi; \
	if ! command -v apt-get >/dev/null; then echo "The tests need these packages (Debian names), install them first:$$missing"; exit 1; fi; \
	echo "Installing Debian packages for the tests:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null

test: system-packages setup
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
