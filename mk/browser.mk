# The browser tests drive Debian's chromium with Playwright. `make test` installs it when it is
# missing and apt can run (as root); elsewhere those tests skip, unless REQUIRE_BROWSER=1 (CI).
.PHONY: browser

browser: ## install Debian's chromium for the browser tests when missing (apt, as root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "no chromium and no root apt: the browser tests will skip (apt-get install chromium)"; \
	  fi; }

test: browser
