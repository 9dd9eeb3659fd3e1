# One-command entry points. `make test` and `make demo` work on a fresh machine with Python 3.11+ and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/lambda_src:$(CURDIR)

LAMBDA_RUNTIME ?= python3.13
LAMBDA_ARCH ?= arm64

.PHONY: help venv lint format test test-python

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	touch $@

venv: $(VENV)/.installed ## Create the virtual environment from pinned requirements

lint: venv ## ruff lint and format check, mypy (strict) on lambda_src
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv ## Apply ruff formatting and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-python: venv ## Python tests (unit, handler, tooling, integration on the embedded emulator)
	$(PY) -m pytest

test: lint test-python ## Everything CI runs: lint, every Python test, Terraform checks

-include mk/*.mk
