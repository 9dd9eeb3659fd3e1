# The upload page (web/) and its browser test. Playwright (requirements/dev.txt) drives the distribution's
# Chromium by its path: Playwright's own browser download needs the internet, Debian's chromium installs
# offline. `make test` installs it first where it can (root with apt-get: these machines and CI), and otherwise
# the browser test is skipped with the reason (tests/support/browser.py; under CI=true it fails instead).
# BROWSER_INSTALL=0 never installs; CHROMIUM=/path/to/chromium uses that browser.
.PHONY: chromium

BROWSER_INSTALL ?= 1

chromium: ## Chromium for the browser test: Debian's chromium via apt-get when missing (as root); CHROMIUM= a browser
	@found="$${CHROMIUM:-$$(command -v chromium || command -v chromium-browser || command -v google-chrome || command -v google-chrome-stable || true)}"; \
	if [ -n "$$found" ]; then echo "chromium: $$found"; \
	elif [ "$(BROWSER_INSTALL)" = 0 ]; then echo "chromium: not installed (BROWSER_INSTALL=0): the browser test will be skipped"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: installing Debian's chromium (apt-get, ~2 min once)"; \
		apt-get -o DPkg::Lock::Timeout=300 update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >/dev/null && \
		echo "chromium: $$(command -v chromium)" || echo "chromium: apt-get failed: the browser test will be skipped"; \
	else echo "chromium: not installed and not root: run 'sudo apt-get install -y --no-install-recommends chromium' or set CHROMIUM="; fi

# Before the Python tests (make test, make test-python, make test-integration).
test-python test-integration: chromium
