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
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: dev test install kratos kratos-v26 chromium fixtures compose bench

# Kratos v26.2.0, a second tested version: a prebuilt binary in ../shared/kratos/ beside the clone
# (the Go module proxy cannot serve calendar tags). Without it the v26 run is skipped, except in CI.
KRATOS_V26 := v26.2.0
SHARED_KRATOS := $(abspath $(CURDIR)/../shared/kratos)
KRATOS_V26_GZ := $(SHARED_KRATOS)/kratos-$(KRATOS_V26)-linux-amd64.gz
KRATOS_V26_BIN := $(KRATOS_CACHE)/kratos-$(KRATOS_V26)

dev: install kratos
	$(PY) scripts/dev.py

# Unit tests once; the real-Kratos suites once per Kratos version. Any failing run (exit 5, no
# tests collected, included) fails `make test`; every run is attempted first.
test: install kratos kratos-v26 chromium
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

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Built once per version into a cache outside the repo; KRATOS_BIN=... uses yours instead.
kratos:
	@if [ ! -x "$(KRATOS_BIN)" ]; then \
	  echo "building Kratos $(KRATOS_VERSION) into $(KRATOS_BIN) (first time only, a few minutes)"; \
	  mkdir -p "$(dir $(KRATOS_BIN))" && cd kratos && \
	  CGO_ENABLED=1 go build -buildvcs=false -tags sqlite \
	    -ldflags "-X github.com/ory/kratos/driver/config.Version=$(KRATOS_VERSION)" \
	    -o "$(KRATOS_BIN).tmp" . && mv "$(KRATOS_BIN).tmp" "$(KRATOS_BIN)"; \
	fi

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

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# Re-record the unit tests' Kratos fixtures from the real Kratos, one set per version
# (tests/fixtures/ for $(KRATOS_VERSION), tests/fixtures/<version>/ for the others).
fixtures: install kratos kratos-v26
	KRATOS_BIN="$(KRATOS_BIN)" $(PY) scripts/record_fixtures.py
	@if [ -f "$(KRATOS_V26_GZ)" ]; then KRATOS_BIN="$(KRATOS_V26_BIN)" $(PY) scripts/record_fixtures.py; \
	else echo "SKIPPED: Kratos $(KRATOS_V26) fixtures, no $(KRATOS_V26_GZ)"; fi

# docker compose with the same Kratos version as the local build.
compose:
	KRATOS_VERSION=$(KRATOS_VERSION) docker compose up --build

# How much the UI adds on top of Kratos: prints a table, writes docs/benchmarks.md.
bench: install kratos
	$(PY) scripts/bench.py
