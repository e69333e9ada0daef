"""Shared fixtures. Tests that need Kratos or Chromium skip locally when those
are missing, and fail in CI (CI=true), where `make test` must have installed them."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from stack import Ports, Postgres, Stack, free_port, hydra_binary, kratos_binary, kratos_db, postgres_bindir
from support import FAST_KRATOS, require


@pytest.fixture(scope="session")
def kratos_bin() -> Path:
    binary = kratos_binary()
    require(binary.exists(), f"Kratos binary {binary}")
    return binary


@pytest.fixture(scope="session")
def hydra_bin() -> Path:
    binary = hydra_binary()
    require(binary.exists(), f"Hydra binary {binary}")
    return binary


@contextmanager
def running_stack(tmp_path_factory, name: str, kratos_env: dict | None = None, ui_env: dict | None = None,
                  overlays: tuple = (), host: str = "127.0.0.1", server: str = "flask", with_hydra: bool = False):
    """Kratos (fresh in-memory SQLite, or a new PostgreSQL database with KRATOS_DB=postgres), the mail sink,
    the UI and optionally Hydra (in memory) on free ports."""
    dsn = kratos_database(tmp_path_factory, name) if kratos_db() == "postgres" else "memory"
    stack = Stack(workdir=tmp_path_factory.mktemp(name), ports=Ports.free(), dsn=dsn,
                  kratos_env={**FAST_KRATOS, **(kratos_env or {})}, ui_env=ui_env or {},
                  kratos_overlays=overlays, host=host, server=server, with_hydra=with_hydra).start()
    try:
        yield stack
    finally:
        stack.stop()


# KRATOS_DB=postgres: one PostgreSQL cluster for the session, a new database for each stack.
_postgres: list = []


def postgres_cluster(tmp_path_factory) -> Postgres:
    if not _postgres:
        require(postgres_bindir() is not None, "PostgreSQL (Debian's postgresql package)")
        _postgres.append(Postgres(tmp_path_factory.mktemp("postgres") / "data", port=free_port()).start())
    return _postgres[0]


def kratos_database(tmp_path_factory, name: str) -> str:
    cluster = postgres_cluster(tmp_path_factory)
    return cluster.create_database(f"kratos_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres():
    yield
    while _postgres:
        _postgres.pop().stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kratos_bin):
    with running_stack(tmp_path_factory, "stack") as running:
        yield running


@pytest.fixture(scope="session")
def oauth2_stack(tmp_path_factory, kratos_bin, hydra_bin):
    """The stack with Hydra, whose login, consent and logout app is the UI."""
    with running_stack(tmp_path_factory, "oauth2", with_hydra=True) as running:
        yield running
