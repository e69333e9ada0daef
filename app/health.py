"""Health for orchestrators. Liveness: /health/alive, the process serves (never asks Kratos, so a
Kratos blip restarts no pod). Readiness: /health/ready, Kratos (and Hydra, when configured) answer."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from .auth import kratos
from .hydra import HydraClient
from .kratos import Browser, KratosUnavailable

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.route("/alive")
def alive() -> ResponseReturnValue:
    return {"status": "ok"}


@bp.route("/ready")
def ready() -> ResponseReturnValue:
    problems: dict[str, str | None] = {"kratos": kratos_problem()}
    hydra: HydraClient | None = current_app.extensions.get("hydra")
    if hydra is not None:
        problems["hydra"] = hydra_problem(hydra)
    failing = {name: problem for name, problem in problems.items() if problem}
    if failing:
        return {"status": "unavailable", **failing}, 503
    return {"status": "ok"}


def kratos_problem() -> str | None:
    """None when Kratos's public API answers its own readiness check."""
    try:
        answer = kratos().call(Browser(), "GET", "/health/ready")
    except KratosUnavailable:
        return "unreachable"
    return None if answer.status == 200 else f"not ready ({answer.status})"


def hydra_problem(hydra: HydraClient) -> str | None:
    """None when Hydra's admin API answers its own readiness check."""
    try:
        status = hydra.ready_status()
    except KratosUnavailable:
        return "unreachable"
    return None if status == 200 else f"not ready ({status})"
