"""The signed-in user's sessions: list them, revoke one, revoke all others."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from . import outcomes
from .auth import browser, kratos, login_required, sign_in_redirect
from .errors import Page, render_failure
from .kratos import is_kratos_id
from .outcomes import Failure, SignInRequired, Success

bp = Blueprint("sessions", __name__)


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


# What a revoke led to, carried to the list page as ?result=KEY (never free text).
RESULTS = {
    "revoked": ("success", "That session was signed out."),
    "others-revoked": ("success", "All your other sessions were signed out."),
    "current": ("error", "To end this session, sign out."),
    "not-yours": ("error", "That is not one of your sessions."),
    "not-revoked": ("error", "That session could not be signed out; it may have ended already."),
    "others-not-revoked": ("error", "Your other sessions could not be signed out. Please try again."),
}


def render_sessions(message: tuple[str, str] | None = None) -> Response | Page | str:
    outcome = outcomes.interpret(kratos().list_my_sessions(browser()))
    if isinstance(outcome, SignInRequired):
        return sign_in_redirect()
    if not isinstance(outcome, Success):
        return render_failure(outcome if isinstance(outcome, Failure) else outcomes.BAD_GATEWAY)
    listed = outcome.body if isinstance(outcome.body, list) else []
    others = [s for s in listed if isinstance(s, dict) and s.get("id") != g.identity_session.get("id")]
    return render_template("sessions.html", rows=_rows(g.identity_session, others), message=message)


def show_result(result: str) -> Response:
    """POST -> 303 -> GET: the list page, which says what happened and can be reloaded."""
    return redirect(url_for("sessions.list_sessions", result=result), code=303)


@bp.route("/sessions")
@login_required
def list_sessions() -> Response | Page | str:
    return render_sessions(RESULTS.get(request.args.get("result", "")))


@bp.route("/sessions/revoke", methods=["GET"])
@bp.route("/sessions/revoke-others", methods=["GET"])
def back_to_list() -> Response:
    """Opened (a bookmark, a return after signing in again): the list page, where the buttons are."""
    return redirect(url_for("sessions.list_sessions"), code=303)


@bp.route("/sessions/revoke", methods=["POST"])
@login_required
def revoke() -> Response | Page | str:
    session_id = request.form.get("session_id", "")
    if session_id == g.identity_session.get("id"):
        return show_result("current")
    if not is_kratos_id(session_id):
        return show_result("not-yours")
    outcome = outcomes.interpret(kratos().revoke_my_session(browser(), session_id))
    if isinstance(outcome, Success):
        return show_result("revoked")
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return show_result("not-revoked")


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_others() -> Response | Page | str:
    outcome = outcomes.interpret(kratos().revoke_my_other_sessions(browser()))
    if isinstance(outcome, Success):
        # Kratos's "count" includes sessions that had already ended, so it is not shown.
        return show_result("others-revoked")
    if outcomes.kratos_failed(outcome):
        return render_failure(outcome, retry_url=url_for("sessions.list_sessions"))
    return show_result("others-not-revoked")
