# Lambda artifacts (tools/build.py). LAMBDA_RUNTIME / LAMBDA_ARCH choose the image layer's platform;
# PNG_DECODER=0 leaves libspng (pyspng + numpy) out of the layer, and PNGs are decoded by Pillow;
# WEBP_DECODER=0 leaves libvips (pyvips, pyvips-binary, cffi) out, and WebPs are decoded by Pillow in full;
# HEIF_DECODER=0 leaves libheif (pillow-heif) out, and HEIC uploads are unsupported_format.
.PHONY: build build-self-contained release-artifacts clean

build: venv ## Function zips + image layer in dist/ (LAMBDA_RUNTIME, LAMBDA_ARCH, SELF_CONTAINED=1, PNG_DECODER=0, WEBP_DECODER=0, HEIF_DECODER=0)
	$(PY) -m tools.build --runtime $(LAMBDA_RUNTIME) --arch $(LAMBDA_ARCH) $(if $(SELF_CONTAINED),--self-contained,) \
		$(if $(filter 0,$(PNG_DECODER)),--no-png-decoder,) $(if $(filter 0,$(WEBP_DECODER)),--no-webp-decoder,) \
		$(if $(filter 0,$(HEIF_DECODER)),--no-heif-decoder,)

build-self-contained: ## Also bundle every dependency into each function zip (for emulators without layers)
	$(MAKE) build SELF_CONTAINED=1

release-artifacts: build ## dist/ laid out for S3 in build/release/<VERSION>/ with manifest.json (docs/terraform.md, Releases)
	$(PY) -m tools.release package

clean: ## Remove build outputs (keeps the virtual environment)
	rm -rf dist build
