# Security Console: `make run` serves a demo console, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run example serve test test-deps bench scan scan-deps translations lint format clean

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,prod]'
	@touch $@

# Starts a job worker (`flask console worker`, Huey on a SQLite file beside the database)
# in the background of the recipe's shell; it stops with the command that follows it.
# $(1): flask's options, e.g. --app of an example host.
with_worker = $(BIN)/flask $(1) console worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM;

run: $(BIN)/flask
	$(BIN)/flask db upgrade heads
	$(BIN)/flask console demo
	@echo "  Serving the console on http://localhost:5000 with a job worker (Ctrl-C stops both)"
	$(call with_worker) $(BIN)/flask run --host 127.0.0.1 --port 5000

# An example host application with its own pages and the console under /console.
example: $(BIN)/flask
	$(BIN)/flask --app examples.host_app.app db upgrade heads
	$(BIN)/flask --app examples.host_app.app console demo
	@echo "  Serving the example host on http://localhost:5001 (console at /console)"
	$(call with_worker,--app examples.host_app.app) \
		$(BIN)/flask --app examples.host_app.app run --host 127.0.0.1 --port 5001

# Production-style serving: gunicorn with gunicorn.conf.py (settings from the environment).
serve: $(BIN)/flask
	$(BIN)/flask db upgrade heads
	$(call with_worker) $(BIN)/gunicorn -c gunicorn.conf.py

test-deps: $(BIN)/flask
	@command -v chromium >/dev/null 2>&1 && command -v oathtool >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 || { \
		echo "Installing chromium, oathtool and gettext from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium oathtool gettext >/dev/null; }

AXE_VERSION := 4.14.1

test: test-deps tests/a11y/node_modules/axe-core/axe.min.js
	$(BIN)/ruff check .
	$(BIN)/pytest

# axe-core is a test-only tool: installed from the npm registry into the test folder.
tests/a11y/node_modules/axe-core/axe.min.js:
	npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix tests/a11y axe-core@$(AXE_VERSION)

BENCH_SIZES ?= 10000 100000 1000000
BENCH_BACKENDS ?= sqlite postgresql
BENCH_CONCURRENCY_SIZES ?= 10000 1000000
BENCH_SECONDS ?= 10

# Seeds each size on each database, serves it with gunicorn (2 workers) and measures; then
# 8 and 32 clients at once and a lockout burst at 10k and 1M (gunicorn as shipped).
bench: $(BIN)/flask
	$(BIN)/pip install --quiet -e '.[bench]'
	for backend in $(BENCH_BACKENDS); do \
		$(BIN)/python -m bench.run --backend $$backend \
			$(foreach users,$(BENCH_SIZES),--users $(users)) || exit 1; done
	for backend in $(BENCH_BACKENDS); do \
		$(BIN)/python -m bench.concurrency --backend $$backend --reuse --seconds $(BENCH_SECONDS) \
			$(foreach users,$(BENCH_CONCURRENCY_SIZES),--users $(users)) || exit 1; done
	$(BIN)/python -m bench.bulk_jobs --backend postgresql --users 100000
	$(BIN)/python -m bench.report > bench/RESULTS.md

scan-deps:
	@command -v sqlmap >/dev/null 2>&1 && command -v wapiti >/dev/null 2>&1 || { \
		echo "Installing sqlmap and wapiti from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq sqlmap wapiti >/dev/null; }

# Serves the console with demo data on 127.0.0.1 and runs sqlmap (admin list parameters)
# and wapiti (XSS, stored XSS, CSRF, redirect, cookie, CSP and header modules) against it;
# reports in scan-reports/. The lockout burst check: $(BIN)/python bench/burst_lockout.py
scan: $(BIN)/flask scan-deps
	$(BIN)/python tools/scan.py

# Extract every console string, merge it into each catalogue and compile them.
translations: $(BIN)/flask
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output \
		--project "Security Console" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations --statistics

lint: $(BIN)/flask
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/flask
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance build dist .pytest_cache
