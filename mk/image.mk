# Image tooling: `make thumbnails` / `make metadata` run the resizer's / the extractor's pure image logic on
# local files (no AWS);
# `make bench` compares it with naive Pillow and sharp and times each handler's import (build/bench.json).
.PHONY: thumbnails metadata bench

IN ?=
OUT ?= build/thumbnails
REPORT ?=
SIZES ?=
FORMAT ?=
BENCH_ARGS ?=
SHARP_DIR := tools/bench/sharp

thumbnails: venv ## Thumbnails of local files: IN=<file|folder> OUT=<folder> REPORT=<file.json> [SIZES=.. FORMAT=webp|jpeg]
	@test -n "$(IN)" || { echo "usage: make thumbnails IN=<file or folder> OUT=<folder> REPORT=<file.json>" >&2; exit 2; }
	$(PY) -m tools.thumbnails --in "$(IN)" --out "$(OUT)" $(if $(REPORT),--report "$(REPORT)",) \
		$(if $(SIZES),--sizes "$(SIZES)",) $(if $(FORMAT),--format "$(FORMAT)",)

metadata: venv ## Metadata of local files: IN=<file|folder> REPORT=<file.json>
	@test -n "$(IN)" && test -n "$(REPORT)" || { echo "usage: make metadata IN=<file or folder> REPORT=<file.json>" >&2; exit 2; }
	$(PY) -m tools.metadata --in "$(IN)" --report "$(REPORT)"

# sharp (pinned in package-lock.json) for the comparison; optional: without node the bench says so and goes on.
$(SHARP_DIR)/node_modules/.installed: $(SHARP_DIR)/package.json $(SHARP_DIR)/package-lock.json
	npm ci --prefix $(SHARP_DIR) --no-audit --no-fund --loglevel=error
	touch $@

bench: venv ## Resizer vs naive Pillow (+ sharp if node) on one core, PSNR, memory, handler import times -> build/bench.json
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(SHARP_DIR)/node_modules/.installed || echo "sharp install failed: bench runs without it"; \
	fi
	$(PY) -m tools.bench --out build/bench.json $(BENCH_ARGS)
