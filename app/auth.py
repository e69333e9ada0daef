"""Who is signed in: the before-request hook and `login_required`."""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, g, redirect, request, url_for

from . import outcomes
from .kratos import KratosUnavailable
from .outcomes import Redirect
from .security import safe_redirect_target

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# (session id, expires_at) pairs this process already tried to extend: Kratos
# ignores an extend outside session.earliest_possible_extend, and we must not
# ask again on every request.
_extend_attempts: OrderedDict = OrderedDict()
_extend_lock = threading.Lock()
_EXTEND_MEMORY = 10_000


def kratos():
    return current_app.extensions["kratos"]


@bp.before_app_request
def load_session() -> None:
    """Put the Kratos session (or None) on `g.session`.

    A request with no Kratos session cookie costs no call to Kratos.
    """
    g.session = None
    g.session_redirect = None
    if request.endpoint in ("static", "health.alive", "health.ready"):
        return
    if current_app.config["SETTINGS"].session_cookie_name not in request.cookies:
        return
    outcome = outcomes.interpret(kratos().whoami())
    if outcomes.success_body(outcome) is not None:
        g.session = extend_if_expiring(outcome.body)
    elif isinstance(outcome, Redirect) and safe_redirect_target(outcome.url):
        # session_aal2_required: signed in, but a second factor is owed; afterwards, back here.
        g.session_redirect = with_return_to(outcome.url, request.url)
    elif outcomes.kratos_failed(outcome):
        raise ServiceFailure(outcome)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds_left(session: dict) -> float | None:
    try:
        expires = datetime.fromisoformat(session["expires_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    return (expires - _now()).total_seconds()


def extend_if_expiring(session: dict) -> dict:
    """Sliding sessions: extend a session that expires within EXTEND_SESSION_WITHIN.

    The admin extend moves expires_at but not the browser's cookie, which Kratos
    signs with the old expiry (kratos#4441); a whoami afterwards re-issues it,
    and its Set-Cookie is relayed like any other.
    """
    window = current_app.config["SETTINGS"].extend_session_within
    left = _seconds_left(session) if window else None
    if left is None or left > window or left <= 0:
        return session
    key = (session.get("id"), session.get("expires_at"))
    with _extend_lock:
        if key in _extend_attempts:
            return session
        _extend_attempts[key] = True
        while len(_extend_attempts) > _EXTEND_MEMORY:
            _extend_attempts.popitem(last=False)
    try:
        extended = kratos().admin("IdentityApi", "extend_session", session["id"])
        if extended.status not in (200, 204):
            log.warning("Kratos did not extend a session (status %s)", extended.status)
            return session
        fresh = outcomes.interpret(kratos().whoami())
    except KratosUnavailable:
        return session  # still signed in until the session's own expiry
    body = outcomes.success_body(fresh)
    return body if body is not None else session


class ServiceFailure(Exception):
    """Kratos failed while the page was being prepared; rendered by the error handler."""

    def __init__(self, failure: outcomes.Failure):
        super().__init__(failure.title)
        self.failure = failure


def with_return_to(url: str, return_to: str) -> str:
    """`url` with a return_to, unless it has one."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "return_to" for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode(query + [("return_to", return_to)])))


def sign_in_redirect():
    """To sign-in (or the second factor Kratos asked for), then back to this page."""
    if g.session_redirect:
        return redirect(g.session_redirect, code=303)
    return redirect(url_for("flows.login", return_to=request.url), code=303)


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.session is None:
            return sign_in_redirect()
        return view(*args, **kwargs)

    return wrapped


def identity_label(session: dict | None) -> str:
    """The signed-in identity's email (or id, if the schema has no email)."""
    if not session:
        return ""
    identity = session.get("identity") or {}
    traits = identity.get("traits") or {}
    return traits.get("email") or traits.get("username") or identity.get("id", "")
