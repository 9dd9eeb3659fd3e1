# One-command entry points. `make test` and `make demo` work on a fresh machine with Python 3.11+ and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/lambda_src:$(CURDIR)

LAMBDA_RUNTIME ?= python3.13
LAMBDA_ARCH ?= arm64

.PHONY: help venv lint lint-ruff lint-ruff-format lint-mypy format test test-python

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	touch $@

venv: $(VENV)/.installed ## Create the virtual environment from pinned requirements

# The steps of `make lint` are the hooks of .pre-commit-config.yaml, by the same names (a test keeps them equal).
lint: lint-ruff lint-ruff-format lint-mypy terraform-fmt terraform-validate terraform-docs-check terraform-checkov ## ruff, mypy (strict, lambda_src), terraform fmt/validate, README sections, checkov: what the pre-commit hooks run

lint-ruff: venv
	$(VENV)/bin/ruff check .

lint-ruff-format: venv
	$(VENV)/bin/ruff format --check .

lint-mypy: venv
	$(VENV)/bin/mypy

format: venv ## Apply ruff formatting and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Three pytest processes at once: the integration suites of each embedded backend (mostly waiting on emulators) beside
# the other suites (tools/run_tests.py).
test-python: venv localstack-venv ## Python tests (unit, handler, tooling, integration on moto and on LocalStack core)
	$(PY) -m tools.run_tests

test: lint test-python ## Everything CI runs: lint, every Python test, Terraform checks

-include mk/*.mk
