"""Readiness covers Hydra when the settings name its admin API; liveness never asks anyone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from app.config import Settings

HYDRA_ADMIN = "http://hydra.internal:4445"


@dataclass(frozen=True)
class WithHydra(Settings):
    # The setting the OAuth2 work adds to Settings; health reads it when present.
    hydra_admin_url: str | None = None


@pytest.fixture
def settings(settings):
    return WithHydra(**vars(settings), hydra_admin_url=HYDRA_ADMIN)


def test_not_ready_while_hydra_is_unreachable_though_kratos_is_ready(client, kratos):
    kratos.answer("GET", "/health/ready", "health_ready")
    kratos.add("GET", HYDRA_ADMIN + "/health/ready", body=requests.ConnectionError("refused"))
    resp = client.get("/health/ready")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable", "hydra": "unreachable"}


def test_alive_asks_neither_kratos_nor_hydra(client, kratos):
    assert client.get("/health/alive").get_json() == {"status": "ok"}
    assert len(kratos.calls) == 0
