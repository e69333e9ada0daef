"""The signed-in user's sessions: list them, revoke one, revoke all others."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from werkzeug.wrappers import Response

from . import outcomes
from .auth import browser, kratos, login_required, sign_in_redirect
from .errors import Page, render_failure
from .kratos import is_kratos_id
from .outcomes import Failure, SignInRequired, Success

bp = Blueprint("sessions", __name__)

NOT_YOURS = ("error", "That is not one of your sessions.")


def _latest_device(session: dict[str, Any]) -> dict[str, Any]:
    devices = [d for d in session.get("devices") or [] if isinstance(d, dict)]
    return devices[-1] if devices else {}


def _rows(current: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for session in [current, *others]:
        device = _latest_device(session)
        rows.append({
            "id": session.get("id"),
            "current": session is current,
            "user_agent": device.get("user_agent") or "Unknown device",
            "ip": device.get("ip_address") or "unknown",
            "location": device.get("location") or "",
            "created": session.get("issued_at"),
            "authenticated": session.get("authenticated_at"),
            "aal": session.get("authenticator_assurance_level"),
            "expires": session.get("expires_at"),
        })
    return rows


def other_sessions() -> list[dict[str, Any]] | Response | Page:
    """The user's other sessions, or the response to give instead."""
    outcome = outcomes.interpret(kratos().list_my_sessions(browser()))
    if isinstance(outcome, SignInRequired):
        return sign_in_redirect()
    if not isinstance(outcome, Success):
        return render_failure(outcome if isinstance(outcome, Failure) else outcomes.BAD_GATEWAY)
    listed = outcome.body if isinstance(outcome.body, list) else []
    return [s for s in listed if isinstance(s, dict) and s.get("id") != g.identity_session.get("id")]


def render_sessions(message: tuple[str, str] | None = None,
                    others: list[dict[str, Any]] | None = None) -> Response | Page | str:
    if others is None:
        found = other_sessions()
        if not isinstance(found, list):
            return found
        others = found
    return render_template("sessions.html", rows=_rows(g.identity_session, others), message=message)


@bp.route("/sessions")
@login_required
def list_sessions() -> Response | Page | str:
    return render_sessions()


@bp.route("/sessions/revoke", methods=["POST"])
@login_required
def revoke() -> Response | Page | str:
    session_id = request.form.get("session_id", "")
    if session_id == g.identity_session.get("id"):
        return render_sessions(("error", "To end this session, sign out."))
    if not is_kratos_id(session_id):
        return render_sessions(NOT_YOURS)
    # Kratos answers 204 to any id, another user's too: only the user's own are sent on.
    others = other_sessions()
    if not isinstance(others, list):
        return others
    if session_id not in {s.get("id") for s in others}:
        return render_sessions(NOT_YOURS, others)
    outcome = outcomes.interpret(kratos().revoke_my_session(browser(), session_id))
    if isinstance(outcome, Success):
        return render_sessions(("success", "That session was signed out."))
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return render_sessions(("error", "That session could not be signed out; it may have ended already."))


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_others() -> Response | Page | str:
    outcome = outcomes.interpret(kratos().revoke_my_other_sessions(browser()))
    if isinstance(outcome, Success):
        # Kratos's "count" includes sessions that had already ended, so it is not shown.
        return render_sessions(("success", "All your other sessions were signed out."))
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return render_sessions(("error", "Your other sessions could not be signed out. Please try again."))
