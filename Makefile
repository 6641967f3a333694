# storewire: `make run` serves the demo, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TEST := tests/js
JS_CLIENT := clients/js
WEB := web
NODE_DIRS := $(NODE_TEST) $(JS_CLIENT) $(WEB)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint typecheck unit install system-deps node-deps js-client web-ui clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Node.js runs the official socket.io-client in tests (and the bench) and builds the web UI; PostgreSQL
# backs the storage tests that must not run on SQLite alone; Chromium runs the browser tests (Playwright
# drives Debian's /usr/bin/chromium). Debian's packages, installed only when missing.
PG_BIN = $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
system-deps:
	@missing=""; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	[ -n "$(PG_BIN)" ] || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# npm ci again only when the lock changed since the last install.
node-deps: system-deps
	@for dir in $(NODE_DIRS); do \
	  if [ -f $$dir/package-lock.json ] && ! cmp -s $$dir/package-lock.json $$dir/node_modules/.installed-lock; then \
	    (cd $$dir && npm ci --no-audit --no-fund --loglevel=error) && cp $$dir/package-lock.json $$dir/node_modules/.installed-lock; \
	  fi; \
	done

# @storewire/client (clients/js) is built into its dist/ (git-ignored) when its sources are newer.
JS_CLIENT_BUILD := $(JS_CLIENT)/dist/index.js

$(JS_CLIENT_BUILD): $(wildcard $(JS_CLIENT)/src/*.ts) $(JS_CLIENT)/tsconfig.json $(JS_CLIENT)/package-lock.json | node-deps
	cd $(JS_CLIENT) && npm run build --silent
	@touch $@

js-client: node-deps $(JS_CLIENT_BUILD)

# The web UI (web/, Vite) is built into src/storewire/web/dist (git-ignored), which the server serves,
# when its sources or the JS client are newer than the build.
WEB_BUILD := src/storewire/web/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src -type f 2>/dev/null) $(wildcard $(WEB)/*.html $(WEB)/*.ts $(WEB)/*.json)

$(WEB_BUILD): $(WEB_SOURCES) $(JS_CLIENT_BUILD) | node-deps
	cd $(WEB) && npm run build --silent
	@touch $@

web-ui: js-client $(WEB_BUILD)

run: install web-ui
	$(BIN)/storewire serve --demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit -q

test: install system-deps node-deps web-ui lint typecheck
	$(BIN)/pytest -q -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) $(NODE_TEST)/node_modules $(JS_CLIENT)/node_modules $(JS_CLIENT)/dist $(WEB)/node_modules src/storewire/web/dist storewire.db storewire.db-wal storewire.db-shm

# `make bench` (not part of `make test`): storewire's engine side by side with Node's socket.io 4.x and
# python-socketio; server on CPU 0, Node load generator on CPU 1; see bench/README.md.
# BENCH_ARGS passes options to bench/run.py, e.g. `make bench BENCH_ARGS=--quick`.
BENCH_NODE := bench/node_modules/.stamp

$(BENCH_NODE): bench/package.json bench/package-lock.json | system-deps
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: bench bench-quick
bench: install $(BENCH_NODE)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: install $(BENCH_NODE)
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

# REST mutation -> event latency with 1,000 connected clients (DESIGN §7); needs node, no npm packages.
# LATENCY_ARGS passes options to bench/latency.py, e.g. `make bench-latency LATENCY_ARGS="--n 100"`.
.PHONY: bench-latency
bench-latency: install system-deps
	$(BIN)/python bench/latency.py $(LATENCY_ARGS)

# Resume (docs/protocol.md §6): replay of a 10,000-event backlog to one socket, and 1,000 sockets resuming
# at once after a restart; socket.io-client comes from tests/js (node-deps). REPLAY_ARGS passes options to
# bench/replay.py, e.g. `make bench-replay REPLAY_ARGS=--quick`.
.PHONY: bench-replay
bench-replay: install node-deps
	$(BIN)/python bench/replay.py $(REPLAY_ARGS)
