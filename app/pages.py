"""Home, logout, Kratos's error page, and this app's own error pages."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from . import outcomes
from .auth import ServiceFailure, kratos, sign_in_redirect
from .kratos import KratosUnavailable, is_kratos_id
from .outcomes import Failure, SignInRequired, Success

bp = Blueprint("pages", __name__)

# What the user reads for a Kratos flow error, by Kratos error id.
FRIENDLY_ERRORS = {
    "security_csrf_violation": ("Your form could not be accepted",
                                "For your security, the form was rejected. Please start again; "
                                "if this keeps happening, clear this site's cookies."),
    "security_identity_mismatch": ("That link belongs to another account",
                                   "Sign out and open the link again."),
    "self_service_flow_return_to_forbidden": (outcomes.RETURN_TO_FORBIDDEN.title,
                                              outcomes.RETURN_TO_FORBIDDEN.message),
    "self_service_flow_expired": ("That page has expired", "Please start again."),
    "session_already_available": ("You are already signed in", "There is nothing more to do here."),
}
BY_STATUS = {
    400: ("That request could not be handled", "Something about the request was not right. Please start again."),
    401: ("Please sign in", "You need to be signed in for that."),
    403: ("Not allowed", "You are not allowed to do that."),
    404: ("Not found", "We could not find what you were looking for."),
    410: ("That page has expired", "Please start again."),
}


LOGOUT_FAILED = Failure(502, "Sign-out did not complete",
                        "We could not sign you out. Please try again, or close this browser.")


def render_failure(failure: Failure, retry_url: str | None = None):
    """The error page. Kratos outages (502/503) offer a retry link back to this page,
    when this address can be opened (a form's POST-only address cannot)."""
    if retry_url is None and failure.status in (502, 503) and request.url_rule is not None \
            and "GET" in request.url_rule.methods:
        retry_url = request.url
    return render_template("error.html", title=failure.title, message=failure.message,
                           status=failure.status, retry_url=retry_url,
                           reference=failure.error_id), failure.status


@bp.route("/")
def home():
    return render_template("home.html", session=g.session, session_redirect=g.session_redirect)


@bp.route("/error")
def flow_error():
    """Kratos sends the browser here with ?id= when a flow fails in a way the user cannot fix."""
    error_id = request.args.get("id", "")
    error = {}
    if error_id:
        outcome = outcomes.interpret(kratos().get_flow_error(error_id))
        if outcomes.kratos_failed(outcome):
            return render_failure(outcome)
        body = outcomes.success_body(outcome) or {}
        if isinstance(body.get("error"), dict):
            error = body["error"]
    code = error.get("code")
    status = code if isinstance(code, int) and 400 <= code <= 599 else 404
    title, message = FRIENDLY_ERRORS.get(error.get("id"), None) or BY_STATUS.get(status) or (
        "Something went wrong", "We could not complete that request. Please start again.")
    if not error:
        title, message = "This error has expired", "There are no details for this error any more. Please start again."
    # Only a real Kratos id is shown as a reference: the page never repeats arbitrary text.
    return render_failure(Failure(status, title, message, error_id if is_kratos_id(error_id) else None))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if g.session is None and not g.session_redirect:
        # No session at all. (One still owing a second factor may sign out.)
        return sign_in_redirect()
    if request.method == "GET":
        # Confirmation page: signing out on a plain GET would let any site sign users out.
        return render_template("logout.html", session=g.session)
    outcome = outcomes.interpret(kratos().create_logout_flow())
    if isinstance(outcome, SignInRequired):  # the session had already ended
        return redirect(url_for("flows.login"), code=303)
    token = (outcomes.success_body(outcome) or {}).get("logout_token")
    if token:
        outcome = outcomes.interpret(kratos().perform_logout(token))
        if isinstance(outcome, (Success, SignInRequired)):
            return redirect(url_for("flows.login"), code=303)
    # Never claim a sign-out that did not happen.
    failure = outcome if outcomes.kratos_failed(outcome) else LOGOUT_FAILED
    return render_failure(failure, retry_url=url_for("pages.logout"))


@bp.route("/health/alive")
def alive():
    """The process answers. Costs Kratos nothing."""
    return {"status": "ok"}


@bp.route("/health/ready")
def ready():
    """Ready to serve: Kratos's public API answers its own readiness check."""
    try:
        answer = kratos().call("GET", "/health/ready")
    except KratosUnavailable:
        return {"status": "unavailable", "kratos": "unreachable"}, 503
    if answer.status != 200:
        return {"status": "unavailable", "kratos": f"not ready ({answer.status})"}, 503
    return {"status": "ok"}


def register_error_handlers(app) -> None:
    pages = {
        404: Failure(404, "Page not found", "There is no page at this address."),
        405: Failure(405, "Not allowed", "That page cannot be used this way."),
        413: Failure(413, "That form is too large",
                     "What was sent is larger than this site accepts, so it went no further. Please try again."),
        500: Failure(500, "Something went wrong", "An unexpected error occurred. Please try again."),
    }
    for code, failure in pages.items():
        app.register_error_handler(code, lambda _exc, failure=failure: render_failure(failure))
    app.register_error_handler(KratosUnavailable, lambda _exc: render_failure(outcomes.UNAVAILABLE))
    app.register_error_handler(ServiceFailure, lambda exc: render_failure(exc.failure))
