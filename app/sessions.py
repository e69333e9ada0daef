"""The signed-in user's sessions: list them, revoke one, revoke all others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import ua_parser
from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from . import outcomes
from .auth import browser, kratos, login_required, sign_in_redirect
from .errors import Page, render_failure
from .i18n import _l, gettext, ngettext
from .kratos import is_kratos_id
from .outcomes import Failure, SignInRequired, Success

bp = Blueprint("sessions", __name__)


# How a person names what they signed in with (Kratos's authentication_methods[].method).
METHOD_NAMES = {
    "password": _l("password"),
    "totp": _l("authenticator app"),
    "lookup_secret": _l("backup code"),
    "webauthn": _l("security key"),
    "passkey": _l("passkey"),
    "code": _l("email code"),
    "code_recovery": _l("recovery code"),
    "link_recovery": _l("recovery link"),
    "oidc": _l("another account"),
    "saml": _l("another account"),
}


def device_name(user_agent: str | None) -> str:
    """ "Chrome on Linux", from the User-Agent by ua-parser's maintained rules; else the raw string."""
    if not user_agent:
        return str(gettext("Unknown device"))
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    if browser and system:
        return str(gettext("%(browser)s on %(system)s", browser=browser, system=system))
    return browser or system or user_agent[:80]


def signed_in_with(session: dict[str, Any]) -> str:
    """ "Password + authenticator app", rather than aal1/aal2."""
    names = [
        str(METHOD_NAMES.get(str(m.get("method")), str(m.get("method"))))
        for m in session.get("authentication_methods") or []
        if isinstance(m, dict) and m.get("method")
    ]
    unique = list(dict.fromkeys(names))
    if not unique:
        return str(gettext("Unknown"))
    text = " + ".join(unique)
    return text[0].upper() + text[1:]


def ago(timestamp: str | None, now: datetime | None = None) -> str:
    """ "3 minutes ago" for Kratos's RFC 3339 timestamps ("in 2 days" for the future)."""
    try:
        moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if abs(seconds) < 60:
        return str(gettext("just now"))
    for size in (86400, 3600, 60):
        count = int(abs(seconds) // size)
        if count:
            return _span(size, count, past=seconds > 0)
    return ""


def _span(size: int, count: int, past: bool) -> str:
    """Whole phrases per unit and direction, so each language words and inflects them its own way."""
    if size == 86400:
        text = (
            ngettext("%(num)s day ago", "%(num)s days ago", count)
            if past
            else ngettext("in %(num)s day", "in %(num)s days", count)
        )
    elif size == 3600:
        text = (
            ngettext("%(num)s hour ago", "%(num)s hours ago", count)
            if past
            else ngettext("in %(num)s hour", "in %(num)s hours", count)
        )
    else:
        text = (
            ngettext("%(num)s minute ago", "%(num)s minutes ago", count)
            if past
            else ngettext("in %(num)s minute", "in %(num)s minutes", count)
        )
    return str(text)


def _latest_device(session: dict[str, Any]) -> dict[str, Any]:
    devices = [d for d in session.get("devices") or [] if isinstance(d, dict)]
    return devices[-1] if devices else {}


def _rows(current: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for session in [current, *others]:
        device = _latest_device(session)
        rows.append(
            {
                "id": session.get("id"),
                "current": session is current,
                "device": device_name(device.get("user_agent")),
                "user_agent": device.get("user_agent") or "",
                "ip": device.get("ip_address") or gettext("unknown"),
                "location": device.get("location") or "",
                "created": session.get("issued_at"),
                "authenticated": session.get("authenticated_at"),
                "aal": session.get("authenticator_assurance_level"),
                "methods": signed_in_with(session),
                "expires": session.get("expires_at"),
            }
        )
    return rows


# What a revoke led to, carried to the list page as ?result=KEY (never free text).
RESULTS = {
    "revoked": ("success", _l("That session was signed out.")),
    "others-revoked": ("success", _l("All your other sessions were signed out.")),
    "current": ("error", _l("To end this session, sign out.")),
    "not-yours": ("error", _l("That is not one of your sessions.")),
    "not-revoked": ("error", _l("That session could not be signed out; it may have ended already.")),
    "others-not-revoked": ("error", _l("Your other sessions could not be signed out. Please try again.")),
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
