# `make dev` and `make test` install whatever is missing, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The Kratos version is written once, in kratos/go.mod.
KRATOS_VERSION := $(shell sed -n 's|^require github.com/ory/kratos \(.*\)$$|\1|p' kratos/go.mod)
KRATOS_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kratos-selfservice-ui
KRATOS_BIN ?= $(KRATOS_CACHE)/kratos-$(KRATOS_VERSION)
export KRATOS_BIN
# The Hydra version is written once, in hydra/go.mod.
HYDRA_VERSION := $(shell sed -n 's|^require github.com/ory/hydra/v2 \(.*\)$$|\1|p' hydra/go.mod)
HYDRA_BIN ?= $(KRATOS_CACHE)/hydra-$(HYDRA_VERSION)
export HYDRA_BIN
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Kratos's database: sqlite (default) or postgres, for `make dev`, `make test` and `make bench`.
KRATOS_DB ?= sqlite
export KRATOS_DB

.PHONY: dev test lint install lock translations i18n i18n-check kratos hydra kratos-v26 debs axe postgresql nginx valgrind fixtures compose bench hey

# Kratos v26.2.0, a second tested version: a prebuilt binary in ../shared/kratos/ beside the clone
# (the Go module proxy cannot serve calendar tags). Without it the v26 run is skipped, except in CI.
KRATOS_V26 := v26.2.0
SHARED_KRATOS := $(abspath $(CURDIR)/../shared/kratos)
KRATOS_V26_GZ := $(SHARED_KRATOS)/kratos-$(KRATOS_V26)-linux-amd64.gz
KRATOS_V26_BIN := $(KRATOS_CACHE)/kratos-$(KRATOS_V26)

dev: install translations kratos hydra $(if $(filter postgres,$(KRATOS_DB)),postgresql)
	$(PY) scripts/dev.py

# ruff's lint and format checks and mypy --strict on the package, first: they take seconds.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Unit tests once; the real-Kratos suites once per Kratos version. Any failing run (exit 5, no
# tests collected, included) fails `make test`; every run is attempted first.
# PostgreSQL and nginx: the replica test (two UIs behind nginx, Kratos on PostgreSQL) always needs them.
test: install lint translations kratos hydra kratos-v26 debs axe postgresql nginx
	@status=0; \
	echo "== unit tests"; $(PY) -m pytest tests/unit || status=1; \
	echo "== integration and browser tests, Kratos $(KRATOS_VERSION)"; \
	KRATOS_BIN="$(KRATOS_BIN)" $(PY) -m pytest tests/integration tests/browser || status=1; \
	if [ -f "$(KRATOS_V26_GZ)" ]; then \
	  echo "== integration and browser tests, Kratos $(KRATOS_V26)"; \
	  KRATOS_BIN="$(KRATOS_V26_BIN)" $(PY) -m pytest tests/integration tests/browser || status=1; \
	else \
	  echo "SKIPPED: Kratos $(KRATOS_V26) run, no $(KRATOS_V26_GZ) (see README, Tests)"; \
	fi; \
	exit $$status

install: $(VENV)/.installed

# Exactly the locked versions, hash-checked; then the app itself, editable, adding no dependency
# (-qq: setuptools warns about every editable install).
$(VENV)/.installed: pyproject.toml requirements-dev.txt requirements-build.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-build.txt -r requirements-dev.txt
	$(VENV)/bin/pip install -qq --no-deps --no-build-isolation -e .
	touch $@

# The catalogs the app reads: each .po compiled to the .mo beside it (committed too, so the wheel
# and the image carry them; tests/unit/test_catalogs.py fails on a stale one).
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
translations: install $(CATALOGS:.po=.mo)
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po
	$(PY) scripts/i18n.py compile

# New strings in the code or in Kratos's list merged into every catalog; then what is missing.
i18n: install
	$(PY) scripts/i18n.py update
	$(PY) scripts/i18n.py check
i18n-check: install
	$(PY) scripts/i18n.py check

# The lock, from the ranges in pyproject.toml: requirements.txt (runtime, what the Dockerfile installs),
# requirements-dev.txt (runtime + dev, the same runtime pins), requirements-build.txt (setuptools).
# Pins already in the files are kept unless `make lock UPGRADE=1`.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes \
  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock:
	@[ -x $(VENV)/bin/pip-compile ] || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet pip-tools; }
	$(PIP_COMPILE) --all-build-deps --only-build-deps -o requirements-build.txt pyproject.toml
	$(PIP_COMPILE) -o requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.txt -c requirements-build.txt -o requirements-dev.txt pyproject.toml

# Ory's servers are built once per version from their Go wrapper modules into a cache outside the
# repo: $(call ory_build,Name,module dir,binary,version,version variable).
define ory_build
	@if [ ! -x "$(3)" ]; then \
	  echo "building $(1) $(4) into $(3) (first time only, a few minutes)"; \
	  mkdir -p "$(dir $(3))" && cd $(2) && \
	  CGO_ENABLED=1 go build -buildvcs=false -tags sqlite -ldflags "-X $(5)=$(4)" \
	    -o "$(3).tmp" . && mv "$(3).tmp" "$(3)"; \
	fi
endef

# KRATOS_BIN=... or HYDRA_BIN=... uses yours instead.
kratos:
	$(call ory_build,Kratos,kratos,$(KRATOS_BIN),$(KRATOS_VERSION),github.com/ory/kratos/driver/config.Version)

hydra:
	$(call ory_build,Hydra,hydra,$(HYDRA_BIN),$(HYDRA_VERSION),github.com/ory/hydra/v2/driver/config.Version)

# Unpacks ../shared/kratos's v26 binary into the cache, both checksums checked (again on every
# run, so a changed file is picked up). Missing file: nothing to do, except in CI, where it fails.
kratos-v26:
	@if [ ! -f "$(KRATOS_V26_GZ)" ]; then \
	  if [ -n "$$CI" ] && [ "$$CI" != false ] && [ "$$CI" != 0 ]; then \
	    echo "CI: $(KRATOS_V26_GZ) is missing; CI must test Kratos $(KRATOS_V26)" >&2; exit 1; fi; \
	  exit 0; \
	fi; \
	sums="$(SHARED_KRATOS)/SHA256SUMS"; \
	want_gz=$$(awk '$$2 == "$(notdir $(KRATOS_V26_GZ))" {print $$1}' "$$sums"); \
	want_bin=$$(awk '$$2 == "$(notdir $(basename $(KRATOS_V26_GZ)))" {print $$1}' "$$sums"); \
	[ -n "$$want_gz" ] && [ -n "$$want_bin" ] || { echo "no checksums for Kratos $(KRATOS_V26) in $$sums" >&2; exit 1; }; \
	echo "$$want_bin  $(KRATOS_V26_BIN)" | sha256sum --check --status 2>/dev/null && exit 0; \
	echo "$$want_gz  $(KRATOS_V26_GZ)" | sha256sum --check --quiet || exit 1; \
	mkdir -p "$(KRATOS_CACHE)" && gunzip -c "$(KRATOS_V26_GZ)" > "$(KRATOS_V26_BIN).tmp" && \
	echo "$$want_bin  $(KRATOS_V26_BIN).tmp" | sha256sum --check --quiet && \
	chmod +x "$(KRATOS_V26_BIN).tmp" && mv "$(KRATOS_V26_BIN).tmp" "$(KRATOS_V26_BIN)" && \
	echo "unpacked Kratos $(KRATOS_V26) into $(KRATOS_V26_BIN)" || { rm -f "$(KRATOS_V26_BIN).tmp"; exit 1; }

# Debian packages the tests run, as command:package; the missing ones are installed.
DEBS := chromium:chromium redis-server:redis-server
debs:
	@missing=$$(for pair in $(DEBS); do command -v $${pair%%:*} >/dev/null || echo $${pair#*:}; done); \
	[ -z "$$missing" ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }

# axe-core for the browser tests' accessibility checks, exactly as tests/package-lock.json pins it.
axe: tests/node_modules/axe-core/axe.min.js

tests/node_modules/axe-core/axe.min.js: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --silent
	touch $@

# Debian's packages, like chromium; the stack runs them unprivileged, on files of its own.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql; }

nginx:
	@[ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nginx; }

# make bench counts each page's instructions with valgrind's cachegrind (scripts/bench_instructions.py).
valgrind:
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y valgrind; }

# Re-record the unit tests' Kratos fixtures from the real Kratos, one set per version
# (tests/fixtures/ for $(KRATOS_VERSION), tests/fixtures/<version>/ for the others).
fixtures: install kratos kratos-v26
	KRATOS_BIN="$(KRATOS_BIN)" $(PY) scripts/record_fixtures.py
	@if [ -f "$(KRATOS_V26_GZ)" ]; then KRATOS_BIN="$(KRATOS_V26_BIN)" $(PY) scripts/record_fixtures.py; \
	else echo "SKIPPED: Kratos $(KRATOS_V26) fixtures, no $(KRATOS_V26_GZ)"; fi

# docker compose runs the newest Kratos the UI is tested against (v26.2.0), and the Hydra it is built
# with. KRATOS_DB=postgres: Kratos on PostgreSQL and two UI replicas behind nginx (docker-compose.postgres.yml).
COMPOSE_FILES := -f docker-compose.yml $(if $(filter postgres,$(KRATOS_DB)),-f docker-compose.postgres.yml)
compose:
	KRATOS_VERSION=$(KRATOS_V26) HYDRA_VERSION=$(HYDRA_VERSION) docker compose $(COMPOSE_FILES) up --build

# The load generator of `make bench`, installed once where `go install` puts binaries; HEY=... uses yours.
HEY ?= $(or $(shell command -v hey),$(or $(shell go env GOBIN 2>/dev/null),$(shell go env GOPATH 2>/dev/null)/bin)/hey)

hey:
	@[ -x "$(HEY)" ] || { echo "installing hey (the load generator of make bench)"; \
	  GOBIN="$(abspath $(dir $(HEY)))" go install github.com/rakyll/hey@latest; }

# The whole-journey load generator (scripts/journeys, Go, our own code), built into the cache.
JOURNEYS := $(KRATOS_CACHE)/journeys
$(JOURNEYS): scripts/journeys/main.go scripts/journeys/go.mod scripts/journeys/go.sum
	mkdir -p "$(dir $@)" && cd scripts/journeys && go build -o "$@.tmp" . && mv "$@.tmp" "$@"

# How much the UI adds on top of Kratos, then journeys and faults on PostgreSQL behind nginx:
# prints tables, writes docs/benchmarks.md. BENCH_ARGS=--quick for a smoke run.
bench: install kratos hey postgresql nginx valgrind $(JOURNEYS)
	HEY="$(HEY)" JOURNEYS="$(JOURNEYS)" $(PY) scripts/bench.py $(BENCH_ARGS)
