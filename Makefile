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

.PHONY: dev test install lock kratos hydra chromium postgresql nginx fixtures compose bench hey

dev: install kratos hydra $(if $(filter postgres,$(KRATOS_DB)),postgresql)
	$(PY) scripts/dev.py

# PostgreSQL and nginx: the replica test (two UIs behind nginx, Kratos on PostgreSQL) always needs them.
test: install kratos hydra chromium postgresql nginx
	$(PY) -m pytest

install: $(VENV)/.installed

# Exactly the locked versions, hash-checked; then the app itself, editable, adding no dependency
# (-qq: setuptools warns about every editable install).
$(VENV)/.installed: pyproject.toml requirements-dev.txt requirements-build.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-build.txt -r requirements-dev.txt
	$(VENV)/bin/pip install -qq --no-deps --no-build-isolation -e .
	touch $@

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

# Built once per version into a cache outside the repo; KRATOS_BIN=... uses yours instead.
kratos:
	@if [ ! -x "$(KRATOS_BIN)" ]; then \
	  echo "building Kratos $(KRATOS_VERSION) into $(KRATOS_BIN) (first time only, a few minutes)"; \
	  mkdir -p "$(dir $(KRATOS_BIN))" && cd kratos && \
	  CGO_ENABLED=1 go build -buildvcs=false -tags sqlite \
	    -ldflags "-X github.com/ory/kratos/driver/config.Version=$(KRATOS_VERSION)" \
	    -o "$(KRATOS_BIN).tmp" . && mv "$(KRATOS_BIN).tmp" "$(KRATOS_BIN)"; \
	fi

# Same cache and override as Kratos: HYDRA_BIN=... uses yours instead.
hydra:
	@if [ ! -x "$(HYDRA_BIN)" ]; then \
	  echo "building Hydra $(HYDRA_VERSION) into $(HYDRA_BIN) (first time only, a few minutes)"; \
	  mkdir -p "$(dir $(HYDRA_BIN))" && cd hydra && \
	  CGO_ENABLED=1 go build -buildvcs=false -tags sqlite \
	    -ldflags "-X github.com/ory/hydra/v2/driver/config.Version=$(HYDRA_VERSION)" \
	    -o "$(HYDRA_BIN).tmp" . && mv "$(HYDRA_BIN).tmp" "$(HYDRA_BIN)"; \
	fi

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# Debian's packages, like chromium; the stack runs them unprivileged, on files of its own.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql; }

nginx:
	@[ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nginx; }

# Re-record the unit tests' Kratos fixtures from the real Kratos.
fixtures: install kratos
	$(PY) scripts/record_fixtures.py

# docker compose with the same Kratos and Hydra versions as the local builds. KRATOS_DB=postgres:
# Kratos on PostgreSQL and two UI replicas behind nginx (docker-compose.postgres.yml).
COMPOSE_FILES := -f docker-compose.yml $(if $(filter postgres,$(KRATOS_DB)),-f docker-compose.postgres.yml)
compose:
	KRATOS_VERSION=$(KRATOS_VERSION) HYDRA_VERSION=$(HYDRA_VERSION) docker compose $(COMPOSE_FILES) up --build

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
bench: install kratos hey postgresql nginx $(JOURNEYS)
	HEY="$(HEY)" JOURNEYS="$(JOURNEYS)" $(PY) scripts/bench.py $(BENCH_ARGS)
