# Terraform checks: fmt, offline init + validate of every configuration, `terraform test` per module, checkov.
# checkov lives in its own venv: its dependency pins conflict with the project's.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
TF_CLI_CONFIG := $(CURDIR)/.tfcli/cli.tfrc

.PHONY: test-terraform terraform-fmt terraform-validate terraform-test terraform-checkov terraform-docs \
	terraform-docs-check tf-cli-config pre-commit

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

tf-cli-config: ## Write .tfcli/cli.tfrc (local provider mirror if any; TF_PLUGIN_MIRROR overrides)
	@tools/terraform/cli_config.sh

terraform-fmt: ## terraform fmt -check -recursive
	tools/terraform/check.sh fmt

terraform-validate: ## Offline init + validate of the root stack, every module and every example
	tools/terraform/check.sh validate

terraform-test: ## terraform test (mock providers) in every module, the root stack and the examples with tests/
	tools/terraform/check.sh test

terraform-checkov: $(CHECKOV_VENV)/.installed ## checkov over all Terraform, zero failed checks
	CHECKOV=$(CHECKOV_VENV)/bin/checkov tools/terraform/check.sh checkov

terraform-docs: venv ## Regenerate the reference sections (requirements ... outputs) of the Terraform READMEs
	$(PY) -m tools.terraform.readme_tables --write

terraform-docs-check: venv ## Fail when a Terraform README's reference sections are out of date
	$(PY) -m tools.terraform.readme_tables

# Prerequisites rather than one recipe: `make test` runs lint (fmt, validate, checkov) and this, and make runs
# each step once.
test-terraform: terraform-fmt terraform-validate terraform-test terraform-checkov ## All Terraform checks (fmt, validate, test, checkov)

# pre-commit in its own venv, pinned with its dependencies (requirements/pre-commit.txt); not part of `make test`.
PRE_COMMIT_VENV ?= .venv-pre-commit

$(PRE_COMMIT_VENV)/.installed: requirements/pre-commit.txt
	$(PYTHON) -m venv $(PRE_COMMIT_VENV)
	$(PRE_COMMIT_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/pre-commit.txt
	touch $@

pre-commit: $(PRE_COMMIT_VENV)/.installed ## Install the git hooks of .pre-commit-config.yaml (the checks of make lint)
	$(PRE_COMMIT_VENV)/bin/pre-commit install

test: test-terraform
