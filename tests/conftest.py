"""Shared fixtures. Tests that need Kratos or Chromium skip locally when those
are missing, and fail in CI (CI=true), where `make test` must have installed them."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

import formclient
from stack import Ports, Stack, hydra_binary, kratos_binary
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
    """Kratos (fresh in-memory SQLite), the mail sink, the UI and optionally Hydra (in memory) on free ports."""
    stack = Stack(workdir=tmp_path_factory.mktemp(name), ports=Ports.free(),
                  kratos_env={**FAST_KRATOS, **(kratos_env or {})}, ui_env=ui_env or {},
                  kratos_overlays=overlays, host=host, server=server, with_hydra=with_hydra).start()
    formclient.KRATOS_FOR_UI[stack.ui_url] = stack.public_url  # its pages are checked against Kratos's nodes
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kratos_bin):
    with running_stack(tmp_path_factory, "stack") as running:
        yield running


@pytest.fixture(scope="session")
def oauth2_stack(tmp_path_factory, kratos_bin, hydra_bin):
    """The stack with Hydra, whose login, consent and logout app is the UI."""
    with running_stack(tmp_path_factory, "oauth2", with_hydra=True) as running:
        yield running
