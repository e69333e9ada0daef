"""Shared fixtures. Tests that need Kratos or Chromium skip locally when those
are missing, and fail in CI (CI=true), where `make test` must have installed them."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

import formclient
from kratos_versions import binary_version
from stack import (
    LOOPBACK_CROWD,
    Ports,
    Postgres,
    Stack,
    free_port,
    hydra_binary,
    kratos_binary,
    kratos_db,
    postgres_bindir,
)
from support import FAST_KRATOS, PRIVILEGED, recorded_versions, require


def pytest_report_header(config):
    """Which Kratos this run tests (`make test` runs the real-Kratos suites once per version)."""
    binary = kratos_binary()
    return (
        f"kratos: {binary_version(binary) if binary.exists() else 'missing'} ({binary}); "
        f"unit tests use the answers recorded from {', '.join(recorded_versions())}"
    )


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


@pytest.fixture(scope="session")
def kratos_version(kratos_bin) -> str:
    """The version of the Kratos under test, e.g. "v26.2.0"."""
    return binary_version(kratos_bin)


@contextmanager
def running_stack(
    tmp_path_factory,
    name: str,
    kratos_env: dict | None = None,
    ui_env: dict | None = None,
    overlays: tuple = (),
    host: str = "127.0.0.1",
    server: str = "flask",
    with_hydra: bool = False,
    token_hook_secret: str | None = None,
    hydra_env: dict | None = None,
):
    """Kratos (fresh in-memory SQLite, or a new PostgreSQL database with KRATOS_DB=postgres), the mail sink,
    the UI and optionally Hydra (in memory) on free ports."""
    dsn = kratos_database(tmp_path_factory, name) if kratos_db() == "postgres" else "memory"
    stack = Stack(
        workdir=tmp_path_factory.mktemp(name),
        ports=Ports.free(),
        dsn=dsn,
        kratos_env={**FAST_KRATOS, **(kratos_env or {})},
        ui_env={**LOOPBACK_CROWD, **(ui_env or {})},
        kratos_overlays=overlays,
        host=host,
        server=server,
        with_hydra=with_hydra,
        token_hook_secret=token_hook_secret,
        hydra_env=hydra_env or {},
    ).start()
    formclient.KRATOS_FOR_UI[stack.ui_url] = stack.public_url  # its pages are checked against Kratos's nodes
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
def behind_proxy(tmp_path_factory, kratos_bin):
    """The UI trusts one proxy hop, so tests can send what a proxy sends (client addresses, arrival)."""
    with running_stack(tmp_path_factory, "proxy", ui_env={"TRUSTED_PROXIES": "1"}) as stack:
        yield stack


@pytest.fixture(scope="session")
def oauth2_stack(tmp_path_factory, kratos_bin, hydra_bin):
    """The stack with Hydra, whose login, consent and logout app is the UI."""
    with running_stack(tmp_path_factory, "oauth2", with_hydra=True) as running:
        yield running


@pytest.fixture(scope="session")
def short_privilege(tmp_path_factory, kratos_bin):
    """A stack whose privileged session lasts PRIVILEGED seconds: settings changes soon need a refresh."""
    with running_stack(
        tmp_path_factory,
        "privilege",
        kratos_env={"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": f"{PRIVILEGED}s"},
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def oidc_stack(tmp_path_factory, kratos_bin, hydra_bin):
    """Kratos with a generic OIDC provider ("Upstream"): a second Hydra and its test login app
    (tests/upstream_idp.py). Yields (stack, upstream)."""
    from upstream_idp import Upstream

    upstream = Upstream.create()
    overlay = tmp_path_factory.mktemp("oidc") / "oidc.yml"
    upstream.write_kratos_overlay(overlay)
    with running_stack(tmp_path_factory, "oidc", overlays=(overlay,)) as running:
        upstream.start(running)
        try:
            yield running, upstream
        finally:
            upstream.app.stop()
