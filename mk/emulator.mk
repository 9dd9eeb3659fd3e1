# Embedded emulator (tools/emulator): the real root stack on a moto server + the local Lambda runner.
# The emulator builds its own artifacts for this interpreter's runtime/architecture into build/emulator/dist
# (the Pillow layer must import locally), so `make build`'s dist/ for AWS is left untouched.
.PHONY: demo run-local test-integration test-localstack emulator-samples localstack-venv

TERRAFORM_LOCAL_VERSION ?= 0.27.0
LOCALSTACK_CLIENT_VERSION ?= 2.12
LOCALSTACK_ENDPOINT ?= http://localhost:4566

DEMO_SERVE ?= 1

demo: venv ## Apply the stack to a local emulator, run samples/images through it, report (build/demo/report.html), then serve the upload page until Ctrl-C (DEMO_SERVE=0: don't)
	$(PY) -m tools.emulator demo $(if $(filter 0,$(DEMO_SERVE)),,--serve)

run-local: venv ## Run IMAGES=<folder> through the stack on the emulator; REPORT=<file.json> (HTML=<file.html> optional)
	@test -n "$(IMAGES)" || { echo "usage: make run-local IMAGES=<folder> REPORT=<file.json> [HTML=<file.html>]"; exit 2; }
	$(PY) -m tools.emulator run-local --images "$(IMAGES)" --report "$(or $(REPORT),build/run-local/report.json)" \
		$(if $(HTML),--html "$(HTML)",)

test-integration: venv localstack-venv ## Only the emulator integration tests, on moto and on LocalStack core (apply, images through, destroy)
	$(PY) -m pytest tests/integration -q

# LocalStack's open-source core (and tflocal) for the `localstack-core` backend, in its own venv from a Python 3.13+
# found here (LOCALSTACK_PYTHON, PATH, pyenv); pinned by requirements/localstack*.txt, rebuilt when they change.
# Without such a Python it says so and succeeds: the localstack-core tests are then skipped with that reason.
localstack-venv: venv ## Build .venv-localstack (LocalStack core 2026.3.0 + tflocal, pinned) for the localstack-core backend
	$(PY) -m tools.emulator.localstack_core venv

emulator-samples: venv ## Regenerate samples/images (committed)
	$(PY) samples/generate.py

test-localstack: venv ## Integration tests against a running LocalStack (tflocal, self-contained zips)
	$(VENV)/bin/pip install -q --disable-pip-version-check terraform-local==$(TERRAFORM_LOCAL_VERSION) \
		localstack-client==$(LOCALSTACK_CLIENT_VERSION)
	LOCALSTACK_ENDPOINT=$(LOCALSTACK_ENDPOINT) $(PY) -m pytest tests/integration -q -k "localstack and not localstack-core" -rs
