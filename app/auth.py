"""Who is signed in: the before-request hook and `login_required`."""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, g, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import current, outcomes
from .deadline import request_scope
from .errors import ServiceFailure
from .i18n import html_lang
from .kratos import Browser, KratosClient, KratosUnavailable
from .outcomes import Redirect
from .redirects import RedirectRule

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# (session id, expires_at) pairs this process already tried to extend: Kratos
# ignores an extend outside session.earliest_possible_extend, and we must not
# ask again on every request.
_extend_attempts: OrderedDict[tuple[Any, Any], bool] = OrderedDict()
_extend_lock = threading.Lock()
_EXTEND_MEMORY = 10_000


# Endpoints that never need to know who is signed in.
NO_SESSION_ENDPOINTS = frozenset({"static", "health.alive", "health.ready"})


def kratos() -> KratosClient:
    client: KratosClient = current.app().extensions["kratos"]
    return client


def rule() -> RedirectRule:
    redirect_rule: RedirectRule = current.app().extensions["redirects"]
    return redirect_rule


def browser() -> Browser:
    """The browser behind this request, as the Kratos client needs it (built once per request)."""
    here = current.g()
    found: Browser | None = here.get("browser")
    if found is None:
        this = current.request()
        here.browser = found = Browser(
            cookies=dict(this.cookies),
            user_agent=this.headers.get("User-Agent"),
            client_ip=this.remote_addr,
            for_request=request_scope(),
            accept_language=html_lang(),
        )
    return found


def ui_url(path: str) -> str:
    """An absolute URL of this UI, from UI_URL (never from the Host header)."""
    base: str = current_app.config["SETTINGS"].ui_url
    return base + path


def this_page() -> str:
    """The absolute URL of the page being served, on UI_URL: where to come back to after signing in.
    Coming back is a GET, so a URL only a POST can open (a form's action) means home instead."""
    if request.method != "GET" and not _serves_get(request.path):
        return ui_url(url_for("pages.home"))
    return ui_url(request.full_path.rstrip("?"))


def _serves_get(path: str) -> bool:
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:
        return False
    return True


@bp.before_app_request
def load_session() -> None:
    """Put the Kratos session (or None) on `g.identity_session`.

    A request with no Kratos session cookie costs no call to Kratos.
    """
    here, this = current.g(), current.request()
    here.identity_session = None
    here.session_redirect = None
    if this.endpoint in NO_SESSION_ENDPOINTS:
        return
    if current.app().config["SETTINGS"].session_cookie_name not in this.cookies:
        return
    outcome = outcomes.interpret(kratos().whoami(browser()))
    body = outcomes.success_body(outcome)
    if body is not None:
        here.identity_session = extend_if_expiring(body)
    elif isinstance(outcome, Redirect) and rule().from_ory(outcome.url):
        # session_aal2_required: signed in, but a second factor is owed; afterwards, back here.
        here.session_redirect = with_return_to(outcome.url, this_page())
    elif isinstance(outcome, outcomes.Failure) and outcome.kratos_broke:
        raise ServiceFailure(outcome)


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds_left(session: dict[str, Any]) -> float | None:
    try:
        expires = datetime.fromisoformat(session["expires_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    return (expires - _now()).total_seconds()


def extend_if_expiring(session: dict[str, Any]) -> dict[str, Any]:
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
        extended = kratos().extend_session(session["id"], for_request=request_scope())
        if extended.status not in (200, 204):
            log.warning("Kratos did not extend a session (status %s)", extended.status)
            return session
        fresh = outcomes.interpret(kratos().whoami(browser()))
    except KratosUnavailable:
        return session  # still signed in until the session's own expiry
    body = outcomes.success_body(fresh)
    return body if body is not None else session


def with_return_to(url: str, return_to: str) -> str:
    """`url` with a return_to, unless it has one."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "return_to" for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode(query + [("return_to", return_to)])))


def sign_in_redirect(return_to: str | None = None) -> Response:
    """To sign-in (or the second factor Kratos asked for), then back to `return_to` (this page)."""
    if g.session_redirect:
        return redirect(g.session_redirect, code=303)
    return redirect(url_for("flows.login", return_to=return_to or this_page()), code=303)


View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.identity_session is None:
            return sign_in_redirect()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def identity_label(session: dict[str, Any] | None) -> str:
    """The signed-in identity's email (or id, if the schema has no email)."""
    if not session:
        return ""
    identity = session.get("identity") or {}
    traits = identity.get("traits") or {}
    return str(traits.get("email") or traits.get("username") or identity.get("id", ""))
