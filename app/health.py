"""Health for orchestrators. Liveness: /health/alive, the process serves (never asks Kratos, so a
Kratos blip restarts no pod). Readiness: /health/ready, Kratos (and Hydra, when configured) answer."""

from __future__ import annotations

import requests
from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from .auth import kratos
from .kratos import KratosUnavailable

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.route("/alive")
def alive() -> ResponseReturnValue:
    return {"status": "ok"}


@bp.route("/ready")
def ready() -> ResponseReturnValue:
    settings = current_app.config["SETTINGS"]
    problems: dict[str, str | None] = {"kratos": kratos_problem()}
    hydra_admin_url = getattr(settings, "hydra_admin_url", None)
    if hydra_admin_url:
        problems["hydra"] = hydra_problem(hydra_admin_url, settings.kratos_timeout)
    failing = {name: problem for name, problem in problems.items() if problem}
    if failing:
        return {"status": "unavailable", **failing}, 503
    return {"status": "ok"}


def kratos_problem() -> str | None:
    """None when Kratos's public API answers its own readiness check."""
    try:
        answer = kratos().call("GET", "/health/ready")
    except KratosUnavailable:
        return "unreachable"
    return None if answer.status == 200 else f"not ready ({answer.status})"


def hydra_problem(admin_url: str, timeout: float) -> str | None:
    """None when Hydra's admin API answers its own readiness check.
    (Moves to app/hydra.py, the one module that talks to Hydra, when that lands.)"""
    try:
        status = requests.get(admin_url.rstrip("/") + "/health/ready", timeout=timeout,
                              allow_redirects=False).status_code
    except requests.RequestException:
        return "unreachable"
    return None if status == 200 else f"not ready ({status})"
