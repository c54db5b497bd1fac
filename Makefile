# One entry point for every task. Each target installs what it needs first, so a fresh clone with
# only python3 and make works.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.txt pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)

PORT ?= 8080
DEMO_PORT ?= 8080
CONSOLE_PORT ?= 8081
# Two test workers (pytest-xdist); PYTEST_ARGS= runs the suite in one process.
PYTEST_ARGS ?= -n 2

.PHONY: help install lock lint check test run demo demo-env tour bench plan deploy destroy image push clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv with the pinned runtime and development dependencies

lock: ## regenerate requirements/*.txt from pyproject.toml and requirements/checkov.in (needs network)
	@test -x $(BIN)/uv || $(PY) -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header \
	  -q -o requirements/runtime.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  --no-header -q -c requirements/runtime.txt -o requirements/dev.txt
	$(BIN)/uv pip compile requirements/checkov.in --python-version 3.11 --generate-hashes \
	  --no-header -q -o requirements/checkov.txt

lint: install ## ruff, hadolint, parliament
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install ## check the deployment artifacts (policies, task definition) offline
	$(PY) -m checker check

test: install lint check ## linters, artifact checker and the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

run: install ## serve the service under gunicorn (PORT=8080)
	PORT=$(PORT) $(BIN)/gunicorn --config docker/gunicorn.conf.py service.wsgi:app

# Each part of the project adds its own targets (and lint steps) here.
include $(sort $(wildcard mk/*.mk))

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo .bench
