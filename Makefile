# Two commands set everything up on a fresh machine:
#   make run   — the site on http://127.0.0.1:8000
#   make test  — the whole test suite (installs Chromium for the browser tests when it can)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the database tests a second time on PostgreSQL when it answers here. pytest-django
# creates test_<name> and drops it afterwards; the name carries the shell's pid so runs don't collide.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_TEST_URL ?= postgres://postgres@$(PG_HOST):$(PG_PORT)/digitsite_make_$$$$

.PHONY: run test bench chromium install

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

run: $(INSTALLED)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(INSTALLED) chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest
	@if $(BIN)/python -c "import socket; socket.create_connection(('$(PG_HOST)', $(PG_PORT)), timeout=5).close()" \
	     2>/dev/null; then \
	  echo "PostgreSQL answers at $(PG_HOST):$(PG_PORT): running the database tests again on it."; \
	  set -x; DATABASE_URL=$(PG_TEST_URL) CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m database; \
	else \
	  echo "PostgreSQL does not answer at $(PG_HOST):$(PG_PORT): the database tests were NOT run on PostgreSQL."; \
	fi

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "The browser tests need Chromium at $(CHROMIUM): install Debian's package 'chromium'" \
	          "(apt-get install chromium) or set CHROMIUM=/path/to/chromium." >&2; exit 1; fi; \
	echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# Speed and footprint, measured on this machine: prints a table and writes bench-results/latest.json.
# BENCH_ARGS="--seconds 20" loads longer; see `python -m benchmarks.run --help`.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
