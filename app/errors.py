"""This app's error pages: the text for each Problem, ServiceFailure and the handlers."""

from __future__ import annotations

from flask import Flask, render_template, request

from .i18n import _l
from .kratos import KratosUnavailable
from .outcomes import UNAVAILABLE, Failure, Problem

Page = tuple[str, int]
# The texts are lazy: each is looked up in the page's language when the page is rendered.

PROBLEM_TEXT = {
    Problem.UNAVAILABLE: (
        _l("Sign-in service unavailable"),
        _l("We could not reach the sign-in service. Please try again in a moment."),
    ),
    Problem.BAD_GATEWAY: (
        _l("Sign-in service error"),
        _l("The sign-in service had a problem answering. Please try again in a moment."),
    ),
    Problem.RETURN_TO_FORBIDDEN: (
        _l("That return address is not allowed"),
        _l("The page you were sent from asked to return you to an address this site does not trust."),
    ),
    Problem.FAILED: (_l("Something went wrong"), _l("We could not complete that request. Please start again.")),
}

# This app's own HTTP errors.
STATUS_TEXT = {
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("That page cannot be used this way.")),
    413: (
        _l("That form is too large"),
        _l("What was sent is larger than this site accepts, so it went no further. Please try again."),
    ),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Please try again.")),
}


class ServiceFailure(Exception):
    """Kratos failed while the page was being prepared; rendered by the error handler."""

    def __init__(self, failure: Failure):
        super().__init__(failure.problem.value)
        self.failure = failure


def error_page(
    status: int, title: str, message: str, *, retry_url: str | None = None, reference: str | None = None
) -> Page:
    """The error page. A Kratos outage (502/503) offers a retry link back to this page when its
    address can be opened (a form's POST-only address cannot)."""
    if (
        retry_url is None
        and status in (502, 503)
        and request.url_rule is not None
        and "GET" in (request.url_rule.methods or ())
    ):
        retry_url = request.full_path.rstrip("?")
    return render_template(
        "error.html", title=title, message=message, status=status, retry_url=retry_url, reference=reference
    ), status


def render_failure(failure: Failure, retry_url: str | None = None) -> Page:
    title, message = PROBLEM_TEXT[failure.problem]
    return error_page(failure.status, title, message, retry_url=retry_url, reference=failure.error_id)


def register_error_handlers(app: Flask) -> None:
    for status, (title, message) in STATUS_TEXT.items():
        app.register_error_handler(
            status, lambda _exc, status=status, title=title, message=message: error_page(status, title, message)
        )
    app.register_error_handler(KratosUnavailable, lambda _exc: render_failure(UNAVAILABLE))
    app.register_error_handler(ServiceFailure, lambda exc: render_failure(exc.failure))
