"""The signed-in user's sessions: list them, revoke one, revoke all others."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for

from . import outcomes
from .auth import kratos, login_required, sign_in_redirect
from .kratos import is_kratos_id
from .outcomes import Failure, SignInRequired, Success
from .pages import render_failure

bp = Blueprint("sessions", __name__)

NOT_YOURS = ("error", "That is not one of your sessions.")


def _latest_device(session: dict) -> dict:
    devices = session.get("devices") or []
    return devices[-1] if devices else {}


def _rows(current: dict, others: list) -> list[dict]:
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


def other_sessions():
    """(the user's other sessions, None), or (None, the response to give instead)."""
    outcome = outcomes.interpret(kratos().list_my_sessions())
    if isinstance(outcome, SignInRequired):
        return None, sign_in_redirect()
    if not isinstance(outcome, Success):
        return None, render_failure(outcome if isinstance(outcome, Failure) else outcomes.BAD_GATEWAY)
    listed = outcome.body if isinstance(outcome.body, list) else []
    return [s for s in listed if isinstance(s, dict) and s.get("id") != g.session.get("id")], None


def render_sessions(message: tuple[str, str] | None = None, others: list | None = None):
    if others is None:
        others, instead = other_sessions()
        if instead is not None:
            return instead
    return render_template("sessions.html", rows=_rows(g.session, others), message=message)


@bp.route("/sessions")
@login_required
def list_sessions():
    return render_sessions()


@bp.route("/sessions/revoke", methods=["POST"])
@login_required
def revoke():
    session_id = request.form.get("session_id", "")
    if session_id == g.session.get("id"):
        return render_sessions(("error", "To end this session, sign out."))
    if not is_kratos_id(session_id):
        return render_sessions(NOT_YOURS)
    # Kratos answers 204 to any id, another user's too: only the user's own are sent on.
    others, instead = other_sessions()
    if instead is not None:
        return instead
    if session_id not in {s.get("id") for s in others}:
        return render_sessions(NOT_YOURS, others)
    outcome = outcomes.interpret(kratos().revoke_my_session(session_id))
    if isinstance(outcome, Success):
        return render_sessions(("success", "That session was signed out."))
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return render_sessions(("error", "That session could not be signed out; it may have ended already."))


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_others():
    outcome = outcomes.interpret(kratos().revoke_my_other_sessions())
    if isinstance(outcome, Success):
        # Kratos's "count" includes sessions that had already ended, so it is not shown.
        return render_sessions(("success", "All your other sessions were signed out."))
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return render_sessions(("error", "Your other sessions could not be signed out. Please try again."))
