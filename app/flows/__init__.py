"""Every Kratos self-service flow, served by one generic view (view.py); each flow's own
data and hooks are in its module."""

from __future__ import annotations

from flask import Blueprint

from . import login, recovery, registration, settings, verification
from .kind import FlowKind
from .view import flow_view, prefill

__all__ = ["FLOWS", "FlowKind", "bp", "prefill"]

bp = Blueprint("flows", __name__)

FLOWS: dict[str, FlowKind] = {
    kind.name: kind for kind in (login.KIND, registration.KIND, settings.KIND, recovery.KIND, verification.KIND)
}

for _kind in FLOWS.values():
    bp.add_url_rule(f"/{_kind.name}", endpoint=_kind.name, view_func=flow_view(_kind), methods=["GET", "POST"])

bp.add_url_rule("/settings/backup-codes.txt", endpoint="backup_codes", view_func=settings.backup_codes)
