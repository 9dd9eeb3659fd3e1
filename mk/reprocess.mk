# The reprocess (backfill) workflow (modules/reprocess_workflow, docs/reprocess.md): `make reprocess` starts it on
# the deployed stack (its Terraform outputs say where; STACK=<dir> for another deployment directory) and shows its
# progress until it ends; `make reprocess-diagram` redraws docs/reprocess.md's diagram from the definition.
.PHONY: reprocess reprocess-diagram

reprocess: venv ## Reprocess PREFIX=<uploads/...> CONSUMERS=<a,b> on the deployed stack (DRY_RUN=1 RATE= TOLERATED= RUN= MANIFEST=s3://.. STACK= RESUME=<execution arn>)
	@test -n "$(RESUME)" || { test -n "$(PREFIX)" && test -n "$(CONSUMERS)"; } || \
		{ echo "usage: make reprocess PREFIX=<uploads/...> CONSUMERS=<image_resizer,metadata_extractor,...> [DRY_RUN=1] [RATE=<objects/s>] [TOLERATED=<%>] [RUN=<run to continue>] [MANIFEST=s3://<bucket>/<manifest.json>] [STACK=<dir>]  |  make reprocess RESUME=<execution arn>" >&2; exit 2; }
	$(PY) -m tools.reprocess $(if $(RESUME),--resume "$(RESUME)",--prefix "$(PREFIX)" --consumers "$(CONSUMERS)") \
		$(if $(filter 1 true yes,$(DRY_RUN)),--dry-run,) $(if $(RATE),--rate $(RATE),) \
		$(if $(TOLERATED),--tolerated-failure-percentage $(TOLERATED),) $(if $(RUN),--run "$(RUN)",) \
		$(if $(MANIFEST),--manifest "$(MANIFEST)",) $(if $(STACK),--stack "$(STACK)",)

reprocess-diagram: venv ## Redraw the workflow diagram of docs/reprocess.md from the state machine definition
	$(PY) -m tools.reprocess_diagram --write
