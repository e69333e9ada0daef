"""Who is signed in: the before-request hook and `login_required`."""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, g, redirect, request, url_for

from . import outcomes
from .outcomes import Redirect, Success

bp = Blueprint("auth", __name__)


def kratos():
    return current_app.extensions["kratos"]


@bp.before_app_request
def load_session() -> None:
    """Put the Kratos session (or None) on `g.session`.

    A request with no Kratos session cookie costs no call to Kratos.
    """
    g.session = None
    g.session_redirect = None
    if request.endpoint == "static":
        return
    if current_app.config["SETTINGS"].session_cookie_name not in request.cookies:
        return
    outcome = outcomes.interpret(kratos().whoami())
    if isinstance(outcome, Success) and isinstance(outcome.body, dict):
        g.session = outcome.body
    elif isinstance(outcome, Redirect):
        # e.g. session_aal2_required: signed in, but a second factor is owed.
        g.session_redirect = outcome.url
    elif isinstance(outcome, outcomes.Failure) and outcome.status >= 500:
        raise ServiceFailure(outcome)


class ServiceFailure(Exception):
    """Kratos failed while the page was being prepared; rendered by the error handler."""

    def __init__(self, failure: outcomes.Failure):
        super().__init__(failure.title)
        self.failure = failure


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.session is None:
            if g.session_redirect:
                return redirect(g.session_redirect, code=303)
            return redirect(url_for("flows.login", return_to=request.url), code=303)
        return view(*args, **kwargs)

    return wrapped


def identity_label(session: dict | None) -> str:
    """The signed-in identity's email (or id, if the schema has no email)."""
    if not session:
        return ""
    identity = session.get("identity") or {}
    traits = identity.get("traits") or {}
    return traits.get("email") or traits.get("username") or identity.get("id", "")
