"""Shared fixtures. Tests that need Kratos or Chromium skip locally when those
are missing, and fail in CI (CI=true), where `make test` must have installed them."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack import Ports, Stack, kratos_binary
from support import FAST_KRATOS, require


@pytest.fixture(scope="session")
def kratos_bin() -> Path:
    binary = kratos_binary()
    require(binary.exists(), f"Kratos binary {binary}")
    return binary


def start_stack(tmp_path_factory, name: str, kratos_env: dict | None = None, **kwargs) -> Stack:
    stack = Stack(workdir=tmp_path_factory.mktemp(name), ports=Ports.free(),
                  kratos_env={**FAST_KRATOS, **(kratos_env or {})}, **kwargs)
    return stack.start()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kratos_bin):
    """Kratos (fresh in-memory SQLite), the mail sink and the UI on free ports."""
    running = start_stack(tmp_path_factory, "stack")
    yield running
    running.stop()
