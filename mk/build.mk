# Lambda artifacts (tools/build.py). LAMBDA_RUNTIME / LAMBDA_ARCH choose the Pillow layer's platform.
.PHONY: build build-self-contained clean

build: venv ## Deterministic function zips + Pillow layer in dist/ (LAMBDA_RUNTIME, LAMBDA_ARCH, SELF_CONTAINED=1)
	$(PY) -m tools.build --runtime $(LAMBDA_RUNTIME) --arch $(LAMBDA_ARCH) $(if $(SELF_CONTAINED),--self-contained,)

build-self-contained: ## Also bundle every dependency into each function zip (for emulators without layers)
	$(MAKE) build SELF_CONTAINED=1

clean: ## Remove build outputs (keeps the virtual environment)
	rm -rf dist build
