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

.PHONY: dev test install kratos chromium fixtures compose bench hey

dev: install kratos
	$(PY) scripts/dev.py

test: install kratos chromium
	$(PY) -m pytest

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

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# Re-record the unit tests' Kratos fixtures from the real Kratos.
fixtures: install kratos
	$(PY) scripts/record_fixtures.py

# docker compose with the same Kratos version as the local build.
compose:
	KRATOS_VERSION=$(KRATOS_VERSION) docker compose up --build

# The load generator of `make bench`, installed once where `go install` puts binaries; HEY=... uses yours.
HEY ?= $(or $(shell command -v hey),$(or $(shell go env GOBIN 2>/dev/null),$(shell go env GOPATH 2>/dev/null)/bin)/hey)

hey:
	@[ -x "$(HEY)" ] || { echo "installing hey (the load generator of make bench)"; \
	  GOBIN="$(abspath $(dir $(HEY)))" go install github.com/rakyll/hey@latest; }

# How much the UI adds on top of Kratos: prints tables, writes docs/benchmarks.md.
bench: install kratos hey
	HEY="$(HEY)" $(PY) scripts/bench.py
