# Day-two operations (docs/operations.md): the DLQ redrive, the concurrency & scaling report.
.PHONY: redrive capacity

CONSUMER ?=
REASON ?=
DRY_RUN ?=
TF_DIR ?= .

redrive: venv ## List CONSUMER's DLQ by reason and move it back to its buffer: CONSUMER=<name> [REASON=<reason>] [DRY_RUN=1] [TF_DIR=<applied stack>]
	@test -n "$(CONSUMER)" || { echo "usage: make redrive CONSUMER=<image_resizer|metadata_extractor|search_indexer> [REASON=<reason>] [DRY_RUN=1]" >&2; exit 2; }
	$(PY) -m tools.redrive --consumer "$(CONSUMER)" --terraform-dir "$(TF_DIR)" \
		$(if $(REASON),--reason "$(REASON)",) $(if $(filter 1,$(DRY_RUN)),--dry-run,)

PEAK ?= 10
PROFILE ?= build/bench.json
PLAN_JSON ?=
VAR_FILE ?=
CAPACITY_OUT ?= build/capacity

capacity: venv ## Concurrency & scaling report -> build/capacity/report.md and .html: [PEAK=<uploads/s>] [PROFILE=<bench.json>] [PLAN_JSON=<terraform show -json>] [VAR_FILE=<tfvars>] [CAPACITY_OUT=<dir>]
	$(PY) -m tools.capacity --peak "$(PEAK)" --profile "$(PROFILE)" --out "$(CAPACITY_OUT)" \
		$(if $(PLAN_JSON),--plan-json "$(PLAN_JSON)",) $(if $(VAR_FILE),--var-file "$(VAR_FILE)",)
