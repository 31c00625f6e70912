# Two commands set everything up on a fresh machine:
#   make run   — the site on http://127.0.0.1:8000 (installs the web requirements only)
#   make test  — lint, then the whole test suite (installs everything, and Chromium and Redis for its tests)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A second virtualenv with requirements/web.txt alone: a test serves the site from it, without TensorFlow.
WEB_VENV := .venv-web
PIP_INSTALL = -m pip install --quiet --disable-pip-version-check
CHROMIUM ?= /usr/bin/chromium
REDIS_SERVER ?= redis-server
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the database tests a second time on PostgreSQL when it answers here (not the browser
# tests: they test the page, whose requests the API tests cover on both databases). pytest-django
# creates test_<name> and drops it afterwards; the name carries the shell's pid so runs don't collide.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_TEST_URL ?= postgres://postgres@$(PG_HOST):$(PG_PORT)/digitsite_make_$$$$
TEST_ENV = CHROMIUM=$(CHROMIUM) REDIS_SERVER=$(REDIS_SERVER) WEB_PYTHON=$(CURDIR)/$(WEB_VENV)/bin/python

.PHONY: run test lint bench install install-web install-training chromium redis-server

# Requirements, one set per role; each stamp is redone only when its files change.
install-web: $(VENV)/.installed-web
install-training: $(VENV)/.installed-training
install: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-web: requirements/web.txt | $(BIN)/python
	$(BIN)/python $(PIP_INSTALL) -r requirements/web.txt
	@touch $@

$(VENV)/.installed-training: requirements/training.txt requirements/web.txt | $(BIN)/python
	$(BIN)/python $(PIP_INSTALL) -r requirements/training.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements/dev.txt requirements/training.txt requirements/web.txt | $(BIN)/python
	$(BIN)/python $(PIP_INSTALL) -r requirements.txt
	@touch $@

$(WEB_VENV)/.installed-web: requirements/web.txt
	@test -x $(WEB_VENV)/bin/python || $(PYTHON) -m venv $(WEB_VENV)
	$(WEB_VENV)/bin/python $(PIP_INSTALL) -r requirements/web.txt
	@touch $@

run: $(VENV)/.installed-web
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py register_model ml_models/digit_cnn.tflite --activate-if-new
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(WEB_VENV)/.installed-web chromium redis-server
	$(TEST_ENV) $(BIN)/python -m pytest
	@if $(BIN)/python -c "import socket; socket.create_connection(('$(PG_HOST)', $(PG_PORT)), timeout=5).close()" \
	     2>/dev/null; then \
	  echo "PostgreSQL answers at $(PG_HOST):$(PG_PORT): running the database tests again on it."; \
	  set -x; DATABASE_URL=$(PG_TEST_URL) $(TEST_ENV) $(BIN)/python -m pytest -m "database and not browser"; \
	else \
	  echo "PostgreSQL does not answer at $(PG_HOST):$(PG_PORT): the database tests were NOT run on PostgreSQL."; \
	fi

# Debian packages the tests need: `$(call apt_install,<command that must exist>,<package>,<what needs it>)`
# installs the package through apt-get when it can (as root or with sudo), else names what is missing.
define apt_install
	@if command -v "$(1)" >/dev/null; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "$(1) is missing, for $(3): install Debian's package '$(2)' (apt-get install $(2))," \
	          "or give make its path (CHROMIUM=..., REDIS_SERVER=...)." >&2; exit 1; fi; \
	echo "Installing $(2) for $(3) (apt-get install $(2))"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) >/dev/null
endef

chromium:
	$(call apt_install,$(CHROMIUM),chromium,the browser tests)

# The shared-throttle test starts a Redis of its own.
redis-server:
	$(call apt_install,$(REDIS_SERVER),redis-server,the shared-throttle test)

# Speed and footprint, measured on this machine: prints a table and writes bench-results/latest.json.
# BENCH_ARGS="--seconds 20" loads longer; see `python -m benchmarks.run --help`.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
