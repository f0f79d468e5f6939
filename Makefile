# The public interface of the project. Everything runs from a fresh clone:
#   make site   create .venv, install pinned dependencies, validate, build site/
#   make test   install test dependencies (and Chromium if missing), run every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers for make test: one per core (TEST_WORKERS=0 runs the tests in one process)
TEST_WORKERS ?= auto
NPM ?= npm
AXE := tests/browser/js/node_modules/axe-core/axe.min.js
LIGHTHOUSE := bench/node_modules/.bin/lighthouse
SCALE ?= 1

.PHONY: help site build validate serve messages test test-fast install install-test browser js bench clean lock import diff deploy check-site

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.build-deps: requirements/build.txt | $(PY)
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/build.txt
	@touch $@

$(VENV)/.test-deps: requirements/test.txt $(VENV)/.build-deps
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/test.txt
	@touch $@

install: $(VENV)/.build-deps ## create .venv and install the pinned build dependencies

install-test: $(VENV)/.test-deps ## also install the pinned test dependencies

browser: ## install Debian's Chromium for the browser tests (and rclone for the deploy tests) if missing
	@if [ -x "$(CHROMIUM)" ]; then echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: install it (Debian: sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium" >&2; exit 1; fi
	@if command -v rclone >/dev/null; then echo "rclone: $$(command -v rclone)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null; \
	else echo "rclone is missing: install it (Debian: sudo apt-get install rclone)" >&2; exit 1; fi

# npm packages the browser tests inject (axe-core), pinned with integrity hashes in the lock file.
$(AXE): tests/browser/js/package.json tests/browser/js/package-lock.json
	@if ! command -v $(NPM) >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is missing: install Node.js and npm (Debian: sudo apt-get install nodejs npm)" >&2; exit 1; fi; \
	fi
	cd tests/browser/js && $(NPM) ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

js: $(AXE) ## install the pinned npm packages of the browser tests (axe-core)

$(LIGHTHOUSE): bench/package.json bench/package-lock.json $(AXE)
	cd bench && $(NPM) ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

bench: install-test browser $(LIGHTHOUSE) ## measure the build stage by stage, page weight, Lighthouse (SCALE=10, SCALE=100: synthetic)
	CHROMIUM=$(CHROMIUM) $(PY) -m bench.run --scale $(SCALE)

import: install ## re-create datapackages/cdm from its raw/ reports (FROM=dir imports a new release)
	$(PY) -m build_scripts import $(if $(FROM),--from "$(FROM)")

diff: install ## compare the data with BASE (default: main): rows added/removed/changed, totals (FORMAT=markdown)
	$(PY) -m build_scripts diff $(or $(BASE),main) . $(if $(FORMAT),--format $(FORMAT))

validate: install ## validate every data package (schema, then domain checks; SUMMARY=file appends a Markdown report)
	$(PY) -m build_scripts validate $(if $(SUMMARY),--summary "$(SUMMARY)")

check-site: install ## check site/ against the host's limits (REGISTRY_HOST, default github-pages; exit 4 when over; SUMMARY=file appends a Markdown report)
	$(PY) -m build_scripts check-site site $(if $(SUMMARY),--summary "$(SUMMARY)")

site: install ## validate and build the site into site/ (the last good site stays if anything fails)
	$(PY) -m build_scripts build

build: site

messages: install ## extract the site's messages into site_src/locales and update every language's catalog
	$(PY) -m build_scripts messages

serve: install ## build, serve on http://$(HOST):$(PORT)/ and rebuild on changes
	$(PY) -m build_scripts serve --host $(HOST) --port $(PORT)

test: install-test browser js ## run every test, browser tests included
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: install-test ## run the tests that need no browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser" $(PYTEST_ARGS)

deploy: install ## upload site/ to object storage with rclone, changed files only, in order (REMOTE=remote:bucket/prefix; DRY_RUN=1; DEPLOY_ARGS=--fast-list)
	@if [ -z "$(REMOTE)" ]; then echo "REMOTE is not set: make deploy REMOTE=remote:bucket/prefix (an rclone remote path; see README, Deploying to object storage)" >&2; exit 2; fi
	$(PY) -m build_scripts.deploy "$(REMOTE)" $(if $(DRY_RUN),--dry-run) $(DEPLOY_ARGS)

lock: ## re-resolve requirements/*.in into hash-pinned requirements/*.txt (needs network)
	$(PYTHON) -m venv /tmp/registry-lock-venv
	/tmp/registry-lock-venv/bin/pip install --quiet pip-tools==7.6.2
	cd requirements && /tmp/registry-lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o build.txt build.in
	cd requirements && /tmp/registry-lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o test.txt test.in

clean: ## remove generated files (keeps .venv)
	rm -rf build site site.previous .pytest_cache test-artifacts tests/browser/js/node_modules bench/work
