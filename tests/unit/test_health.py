"""Readiness covers Hydra when the settings name its admin API; liveness never asks anyone."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

HYDRA_ADMIN = "http://hydra.internal:4445"


@pytest.fixture
def settings(settings):
    return replace(settings, hydra_admin_url=HYDRA_ADMIN, hydra_public_url="http://127.0.0.1:4444")


def test_not_ready_while_hydra_is_unreachable_though_kratos_is_ready(client, kratos):
    kratos.answer("GET", "/health/ready", "health_ready")
    kratos.add("GET", HYDRA_ADMIN + "/health/ready", body=requests.ConnectionError("refused"))
    resp = client.get("/health/ready")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable", "hydra": "unreachable"}


def test_alive_asks_neither_kratos_nor_hydra(client, kratos):
    assert client.get("/health/alive").get_json() == {"status": "ok"}
    assert len(kratos.calls) == 0
