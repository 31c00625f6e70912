# Two commands set everything up on a fresh machine:
#   make run   — the site on http://127.0.0.1:8000
#   make test  — the whole test suite (installs Chromium and Redis for its tests when it can)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements
CHROMIUM ?= /usr/bin/chromium
REDIS_SERVER ?= redis-server
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the database tests a second time on PostgreSQL when it answers here. pytest-django
# creates test_<name> and drops it afterwards; the name carries the shell's pid so runs don't collide.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_TEST_URL ?= postgres://postgres@$(PG_HOST):$(PG_PORT)/digitsite_make_$$$$

.PHONY: run test bench chromium redis-server install

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

run: $(INSTALLED)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(INSTALLED) chromium redis-server
	CHROMIUM=$(CHROMIUM) REDIS_SERVER=$(REDIS_SERVER) $(BIN)/python -m pytest
	@if $(BIN)/python -c "import socket; socket.create_connection(('$(PG_HOST)', $(PG_PORT)), timeout=5).close()" \
	     2>/dev/null; then \
	  echo "PostgreSQL answers at $(PG_HOST):$(PG_PORT): running the database tests again on it."; \
	  set -x; DATABASE_URL=$(PG_TEST_URL) CHROMIUM=$(CHROMIUM) REDIS_SERVER=$(REDIS_SERVER) $(BIN)/python -m pytest -m database; \
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
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
