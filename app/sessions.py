"""The signed-in user's sessions: list them, revoke one, revoke all others."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import ua_parser
from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from . import outcomes
from .auth import browser, kratos, login_required, sign_in_redirect
from .errors import Page, render_failure
from .kratos import is_kratos_id
from .outcomes import Failure, SignInRequired, Success

bp = Blueprint("sessions", __name__)


# How a person names what they signed in with (Kratos's authentication_methods[].method).
METHOD_NAMES = {
    "password": "Password", "totp": "authenticator app", "lookup_secret": "backup code",
    "webauthn": "security key", "passkey": "passkey", "code": "email code", "code_recovery": "recovery code",
    "link_recovery": "recovery link", "oidc": "another account", "saml": "another account",
}


def device_name(user_agent: str | None) -> str:
    """"Chrome on Linux", from the User-Agent by ua-parser's maintained rules; else the raw string."""
    if not user_agent:
        return "Unknown device"
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:80]


def signed_in_with(session: dict[str, Any]) -> str:
    """"Password + authenticator app", rather than aal1/aal2."""
    names = [METHOD_NAMES.get(str(m.get("method")), str(m.get("method")))
             for m in session.get("authentication_methods") or [] if isinstance(m, dict) and m.get("method")]
    unique = list(dict.fromkeys(names))
    if not unique:
        return "Unknown"
    text = " + ".join(unique)
    return text[0].upper() + text[1:]


def ago(timestamp: str | None, now: datetime | None = None) -> str:
    """"3 minutes ago" for Kratos's RFC 3339 timestamps ("in 2 days" for the future)."""
    try:
        moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(abs(seconds) // size)
        if count:
            span = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"{span} ago" if seconds > 0 else f"in {span}"
    return ""


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
            "device": device_name(device.get("user_agent")),
            "user_agent": device.get("user_agent") or "",
            "ip": device.get("ip_address") or "unknown",
            "location": device.get("location") or "",
            "created": session.get("issued_at"),
            "authenticated": session.get("authenticated_at"),
            "aal": session.get("authenticator_assurance_level"),
            "methods": signed_in_with(session),
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


def other_sessions() -> list[dict[str, Any]] | Response | Page:
    """The user's other sessions, or the response to give instead."""
    outcome = outcomes.interpret(kratos().list_my_sessions(browser()))
    if isinstance(outcome, SignInRequired):
        return sign_in_redirect()
    if not isinstance(outcome, Success):
        return render_failure(outcome if isinstance(outcome, Failure) else outcomes.BAD_GATEWAY)
    listed = outcome.body if isinstance(outcome.body, list) else []
    return [s for s in listed if isinstance(s, dict) and s.get("id") != g.identity_session.get("id")]


def render_sessions(message: tuple[str, str] | None = None) -> Response | Page | str:
    others = other_sessions()
    if not isinstance(others, list):
        return others
    return render_template("sessions.html", rows=_rows(g.identity_session, others), message=message, ago=ago)


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
    # Kratos answers 204 to any id, another user's too: only the user's own are sent on.
    others = other_sessions()
    if not isinstance(others, list):
        return others
    if session_id not in {s.get("id") for s in others}:
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
