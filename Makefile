# Taizhang (台账) — one entry point for people and CI.
#
#   make run    install everything, prepare the database and demo data, serve on http://127.0.0.1:8000
#   make test   install everything and run the test suite on SQLite (browser tests excluded)
#
# Everything is installed from lock files into .venv/ and node_modules/; both steps are skipped when the
# lock files have not changed since the last install (stamp files keyed on the lock files' hash).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST := $(PY) -m pytest
TEST_WORKERS ?= 2
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

PY_LOCK_HASH := $(shell cat requirements.lock requirements-dev.lock | sha256sum | cut -c1-16)
NPM_LOCK_HASH := $(shell cat package-lock.json | sha256sum | cut -c1-16)
PY_STAMP := $(VENV)/.stamp-pip-$(PY_LOCK_HASH)
NPM_STAMP := node_modules/.stamp-npm-$(NPM_LOCK_HASH)

# The test suite always runs on the settings' local defaults (SQLite, local-memory cache, development),
# whatever the caller's shell exports; test-pg then sets DATABASE_URL explicitly.
TEST_ENV := env -u DATABASE_URL -u DATABASE_REPLICA_URL -u REDIS_URL -u TAIZHANG_ENV -u DJANGO_DEBUG -u DJANGO_SETTINGS_MODULE

.PHONY: help install assets messages translations migrate demo run test test-pg test-browser bench scale-drill lint check clean

help:
	@echo "Taizhang 台账"
	@echo "  make run           install, migrate, load demo data into an empty database, serve on http://127.0.0.1:8000"
	@echo "  make test          run the test suite on SQLite (no browser tests) + makemigrations --check"
	@echo "  make test-pg       run the test suite on PostgreSQL (PG_TEST_URL=$(PG_TEST_URL))"
	@echo "  make test-browser  run the browser tests (pytest -m browser) in Debian's $(CHROMIUM)"
	@echo "  make bench         by hand: build BENCH_MEMBERS=$(BENCH_MEMBERS) members in BENCH_URL, time pages, EXPLAIN"
	@echo "  make scale-drill   by hand, as root: two gunicorns + worker + Redis + a streaming read replica (:5433), end to end"
	@echo "  make lint          ruff check"
	@echo "  make check         manage.py check + makemigrations --check"
	@echo "  make translations  extract new msgids into locale/zh_Hans/LC_MESSAGES/django.po (then translate them there)"
	@echo "  make install | assets | messages | migrate | demo | clean"

## Python: .venv with the hash-locked runtime + development dependencies ------------------------------
install: $(PY_STAMP)

$(PY_STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (found " + sys.version.split()[0] + ")")'
	@if ! $(PY) -c 'import sys' >/dev/null 2>&1 || ! $(PY) -m pip --version >/dev/null 2>&1; then \
		rm -rf $(VENV); \
		echo "==> creating $(VENV) with $$($(PYTHON) --version)"; \
		if ! $(PYTHON) -m venv $(VENV); then \
			rm -rf $(VENV); \
			if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
				echo "==> installing Debian's python3-venv"; \
				DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv \
					|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv; }; \
				$(PYTHON) -m venv $(VENV); \
			else \
				echo "Cannot create a virtual environment: install python3-venv (apt-get install python3-venv)" >&2; \
				exit 1; \
			fi; \
		fi; \
	fi
	@echo "==> installing Python dependencies from requirements.lock + requirements-dev.lock"
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
	@rm -f $(VENV)/.stamp-pip-*
	@touch $@

## Front-end packages from package-lock.json, served as static files (never from a CDN) -----------------
assets: $(NPM_STAMP)

$(NPM_STAMP):
	@command -v npm >/dev/null || { echo "npm is required (Node.js 20+): apt-get install nodejs npm" >&2; exit 1; }
	@echo "==> installing front-end packages from package-lock.json"
	npm ci --no-audit --no-fund
	@touch $@

## Translations: locale/<lang>/LC_MESSAGES/django.po -> .mo (Babel, no GNU gettext needed) ------------------
messages: install
	@if compgen -G 'locale/*/LC_MESSAGES/django.po' >/dev/null; then \
		$(VENV)/bin/pybabel compile -d locale -D django --statistics; \
	else \
		echo "==> no locale/*/LC_MESSAGES/django.po yet; skipping translations"; \
	fi

# Extract the msgids from the code into the catalogue (needs GNU gettext: apt-get install gettext). Then
# translate the new entries in django.po itself — it is the one reviewed source of the Chinese — and
# `make messages`. test_i18n fails while an entry is untranslated or fuzzy, or while this would change the file.
MAKEMESSAGES_FLAGS := -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=node_modules \
	--ignore=staticfiles --ignore='*/tests/*' --ignore=benchmarks --ignore=scripts --ignore=db
translations: install
	$(MANAGE) makemessages $(MAKEMESSAGES_FLAGS)

## Database ---------------------------------------------------------------------------------------
migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	PY=$(PY) bash scripts/load_demo.sh

## Serve: migrate, demo data if the database is empty, collectstatic, gunicorn -----------------------------
run: install assets messages
	@bash scripts/run.sh

## Tests --------------------------------------------------------------------------------------------
# staticfiles/ exists so whitenoise does not warn about a missing STATIC_ROOT in every test (collectstatic
# fills it only in `make run`).
staticfiles:
	@mkdir -p $@

test: install assets messages | staticfiles
	$(TEST_ENV) $(PYTEST) -m "not browser" -n $(TEST_WORKERS)
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run

# pytest-django creates test_<name> (here test_test_gw0, test_test_gw1 with -n); --create-db drops stale ones.
test-pg: install assets messages | staticfiles
	$(TEST_ENV) DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m "not browser" -n $(TEST_WORKERS) --create-db

# Debian's chromium, never a browser downloaded by Playwright; the fixtures read CHROMIUM_PATH.
test-browser: install assets messages | staticfiles
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: apt-get install -y chromium fonts-noto-cjk" >&2; exit 1; }
	$(TEST_ENV) CHROMIUM_PATH=$(CHROMIUM) $(PYTEST) -m browser -p no:xdist

# By hand, not in CI: builds the issue-10 tier (BENCH_MEMBERS members in the issue's proportions, plus the
# 186-member committee 小党委) in BENCH_URL (wiped first; the database must exist: createdb), times every page of
# the issue's table and prints one table (also written to BENCH_OUT), the many-committee ratio (小党委 alone in
# BENCH_URL's database name + _alone, created if missing) and the EXPLAIN of the roster projection's queries.
# BENCH_ARGS passes more options, e.g. BENCH_ARGS=--reuse to time the tier already built (see benchmarks/bench.py).
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/taizhang_bench
BENCH_MEMBERS ?= 20000
BENCH_OUT ?= var/bench/bench-$(BENCH_MEMBERS).json
BENCH_ARGS ?=
bench: install messages | staticfiles
	$(TEST_ENV) DATABASE_URL=$(BENCH_URL) $(PY) benchmarks/bench.py --members $(BENCH_MEMBERS) --out $(BENCH_OUT) $(BENCH_ARGS)
	$(TEST_ENV) DATABASE_URL=$(BENCH_URL) $(PY) benchmarks/projection_explain.py --reuse

# By hand, not in CI (root; PostgreSQL 15 on 127.0.0.1:5432, Redis on :6379): the production layout on loopback —
# gunicorn on :8101 and :8102, a db_worker, a streaming read replica on :5433 for the reports — driven end to end
# by an HTTP client; stops everything it started. See README "Production layout".
scale-drill: install assets messages
	bash scripts/scale_drill.sh

## Static checks ------------------------------------------------------------------------------------
lint: install
	$(VENV)/bin/ruff check .

check: install
	$(TEST_ENV) $(MANAGE) check
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run

## Remove everything generated (keeps db/, the local data) ----------------------------------------------
clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./db -prune -o -name '__pycache__' -type d -prune -exec rm -rf {} + -o -name '*.mo' -path '*/locale/*' -exec rm -f {} +
