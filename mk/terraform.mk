# Terraform checks: fmt, offline init + validate of every configuration, `terraform test` per module, checkov.
# checkov lives in its own venv: its dependency pins conflict with the project's.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
TF_CLI_CONFIG := $(CURDIR)/.tfcli/cli.tfrc

.PHONY: test-terraform terraform-fmt terraform-validate terraform-test terraform-checkov terraform-docs tf-cli-config

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

terraform-docs: venv ## Regenerate the inputs/outputs tables of the Terraform READMEs
	$(PY) -m tools.terraform.readme_tables --write

test-terraform: $(CHECKOV_VENV)/.installed ## All Terraform checks (fmt, validate, test, checkov)
	CHECKOV=$(CHECKOV_VENV)/bin/checkov tools/terraform/check.sh all

test: test-terraform
