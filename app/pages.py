"""Home, logout and Kratos's error page."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from . import outcomes
from .auth import browser, kratos, sign_in_redirect
from .errors import PROBLEM_TEXT, Page, error_page, render_failure
from .i18n import _l
from .i18n import gettext as _
from .kratos import is_kratos_id
from .outcomes import Failure, Problem, SignInRequired, Success

bp = Blueprint("pages", __name__)

# What the user reads for a Kratos flow error, by Kratos error id.
FRIENDLY_ERRORS = {
    "security_csrf_violation": (
        _l("Your form could not be accepted"),
        _l(
            "For your security, the form was rejected. Please start again; "
            "if this keeps happening, clear this site's cookies."
        ),
    ),
    "security_identity_mismatch": (_l("That link belongs to another account"), _l("Sign out and open the link again.")),
    "self_service_flow_return_to_forbidden": PROBLEM_TEXT[Problem.RETURN_TO_FORBIDDEN],
    "self_service_flow_expired": (_l("That page has expired"), _l("Please start again.")),
    "session_already_available": (_l("You are already signed in"), _l("There is nothing more to do here.")),
}
BY_STATUS = {
    400: (
        _l("That request could not be handled"),
        _l("Something about the request was not right. Please start again."),
    ),
    401: (_l("Please sign in"), _l("You need to be signed in for that.")),
    403: (_l("Not allowed"), _l("You are not allowed to do that.")),
    404: (_l("Not found"), _l("We could not find what you were looking for.")),
    410: (_l("That page has expired"), _l("Please start again.")),
}


LOGOUT_FAILED = (
    _l("Sign-out did not complete"),
    _l("We could not sign you out. Please try again, or close this browser."),
)


@bp.route("/")
def home() -> str:
    return render_template("home.html")


@bp.route("/error")
def flow_error() -> Page:
    """Kratos sends the browser here with ?id= when a flow fails in a way the user cannot fix."""
    error_id = request.args.get("id", "")
    if not error_id and "error" in request.args:  # an OAuth2 error, from Hydra or an app
        from .oauth2 import oauth2_error_page

        return oauth2_error_page()
    described = None
    if error_id:
        outcome = outcomes.interpret(kratos().get_flow_error(browser(), error_id))
        if outcomes.kratos_failed(outcome):
            return render_failure(outcome)
        described = outcomes.flow_error(outcome)
    if described is None:
        status, (title, message) = (
            404,
            (_("This error has expired"), _("There are no details for this error any more. Please start again.")),
        )
    else:
        status, kratos_error_id = described
        title, message = (
            FRIENDLY_ERRORS.get(kratos_error_id or "")
            or BY_STATUS.get(status)
            or (_("Something went wrong"), _("We could not complete that request. Please start again."))
        )
        if status >= 500:
            # Kratos failed (e.g. its database went away), not this UI: a gateway's 502, and "try again".
            status, (title, message) = 502, PROBLEM_TEXT[Problem.BAD_GATEWAY]
    # Only a real Kratos id is shown as a reference: the page never repeats arbitrary text.
    return error_page(status, title, message, reference=error_id if is_kratos_id(error_id) else None)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | Page | str:
    if g.identity_session is None and not g.session_redirect:
        # No session at all. (One still owing a second factor may sign out.) A press of
        # "Sign out" after the session ended is done already; opening the page asks who you are.
        return redirect(url_for("flows.login"), code=303) if request.method == "POST" else sign_in_redirect()
    if request.method == "GET":
        # Confirmation page: signing out on a plain GET would let any site sign users out.
        return render_template("logout.html")
    outcome = outcomes.interpret(kratos().create_logout_flow(browser()))
    if isinstance(outcome, SignInRequired):  # the session had already ended
        return redirect(url_for("flows.login"), code=303)
    token = (outcomes.success_body(outcome) or {}).get("logout_token")
    if token:
        outcome = outcomes.interpret(kratos().perform_logout(browser(), token))
        if isinstance(outcome, (Success, SignInRequired)):
            return redirect(url_for("flows.login"), code=303)
    # Never claim a sign-out that did not happen.
    if isinstance(outcome, Failure) and outcome.kratos_broke:
        return render_failure(outcome, retry_url=url_for("pages.logout"))
    return error_page(502, *LOGOUT_FAILED, retry_url=url_for("pages.logout"))
