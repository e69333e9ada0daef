"""Account recovery by emailed code."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ..auth import rule
from ..i18n import _l, gettext
from ..limits import Limited
from ..outcomes import Flow, Reason
from .kind import FlowKind, Page

# Kratos expires a code-by-email flow with its code.
CODE_EXPIRED = _l("That code has expired. Enter your email address to get a new one.")


def when_signed_in() -> Response:
    """Signed in already: the password can be changed in settings."""
    return_to = rule().from_browser(request.args.get("return_to"))
    pass_on: dict[str, Any] = {"return_to": return_to} if return_to else {}
    return redirect(url_for("flows.settings", **pass_on), code=303)


def page(flow: Flow, page: Page) -> None:
    if flow.get("state") == "sent_email":
        page.lead = gettext("Enter the code we emailed you. It works once, for a short time.")
    else:
        page.lead = gettext("Enter your account's email address and we will email you a code to reset your password.")


KIND = FlowKind(
    "recovery",
    _l("Reset your password"),
    ("return_to",),
    links=(("flows.login", _l("Back to sign in")),),
    groups=(("code", ""),),
    notices=((Reason.EXPIRED, CODE_EXPIRED),),
    when_signed_in=when_signed_in,
    page=page,
    limited=Limited("email"),
)
