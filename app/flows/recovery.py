"""Account recovery by emailed code."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ..auth import rule
from ..limits import Limited
from ..outcomes import Reason
from .kind import FlowKind

# Kratos expires a code-by-email flow with its code.
CODE_EXPIRED = "That code has expired. Enter your email address to get a new one."


def when_signed_in() -> Response:
    """Signed in already: the password can be changed in settings."""
    return_to = rule().from_browser(request.args.get("return_to"))
    pass_on: dict[str, Any] = {"return_to": return_to} if return_to else {}
    return redirect(url_for("flows.settings", **pass_on), code=303)


KIND = FlowKind("recovery", "Recover your account", ("return_to",), links=(("flows.login", "Back to sign in"),),
                notices=((Reason.EXPIRED, CODE_EXPIRED),), when_signed_in=when_signed_in, limited=Limited("email"))
