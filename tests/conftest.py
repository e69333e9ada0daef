"""Shared fixtures. Tests that need Kratos or Chromium skip locally when those
are missing, and fail in CI (CI=true), where `make test` must have installed them."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from kratos_versions import binary_version
from stack import Ports, Stack, kratos_binary
from support import FAST_KRATOS, recorded_versions, require


def pytest_report_header(config):
    """Which Kratos this run tests (`make test` runs the real-Kratos suites once per version)."""
    binary = kratos_binary()
    return (f"kratos: {binary_version(binary) if binary.exists() else 'missing'} ({binary}); "
            f"unit tests use the answers recorded from {', '.join(recorded_versions())}")


@pytest.fixture(scope="session")
def kratos_bin() -> Path:
    binary = kratos_binary()
    require(binary.exists(), f"Kratos binary {binary}")
    return binary


@pytest.fixture(scope="session")
def kratos_version(kratos_bin) -> str:
    """The version of the Kratos under test, e.g. "v26.2.0"."""
    return binary_version(kratos_bin)


@contextmanager
def running_stack(tmp_path_factory, name: str, kratos_env: dict | None = None, ui_env: dict | None = None,
                  overlays: tuple = (), host: str = "127.0.0.1", server: str = "flask"):
    """Kratos (fresh in-memory SQLite), the mail sink and the UI on free ports."""
    stack = Stack(workdir=tmp_path_factory.mktemp(name), ports=Ports.free(),
                  kratos_env={**FAST_KRATOS, **(kratos_env or {})}, ui_env=ui_env or {},
                  kratos_overlays=overlays, host=host, server=server).start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kratos_bin):
    with running_stack(tmp_path_factory, "stack") as running:
        yield running
