"""Sign-up, in one or two steps (the second names the account from the first)."""

from __future__ import annotations

from flask import request

from ..i18n import _l, gettext
from ..limits import Limited
from ..navigate import to_return_to
from ..outcomes import Flow
from . import for_app
from .kind import FlowKind, Page

GROUPS = (
    ("password", _l("Sign up with a password")),
    ("passkey", _l("Sign up with a passkey")),
    ("code", _l("Email me a code")),
    ("oidc", _l("Sign up with another account")),
)


def hidden_traits(flow: Flow) -> list[str]:
    """Values of traits the flow carries as hidden inputs (registration's second step)."""
    return [
        str(attrs["value"])
        for _node, attrs in flow.inputs()
        if attrs.get("type") == "hidden" and str(attrs.get("name", "")).startswith("traits.") and attrs.get("value")
    ]


def page(flow: Flow, page: Page) -> None:
    for_app.name_the_app(flow, page, lead=gettext("Create an account to continue to"))
    if carried := hidden_traits(flow):
        # Step two: the details from step one travel as hidden fields.
        page.title = gettext("Choose how you will sign in")
        page.lead, page.lead_account = gettext("Step 2 of 2. Creating an account for"), ", ".join(carried)
    elif any(node.get("group") == "profile" for node in flow.nodes):
        page.lead = gettext("Step 1 of 2. Your email address; next, how you will sign in.")


KIND = FlowKind(
    "registration",
    _l("Create an account"),
    ("return_to", "login_challenge"),
    links=(("flows.login", _l("Already have an account? Sign in")),),
    # The provider supplies the email; the profile form alone asks for it.
    groups=GROUPS,
    without_shared_fields=("oidc",),
    when_signed_in=lambda: to_return_to(request.args.get("return_to")),
    page=page,
    limited=Limited("traits.email", "REGISTRATION"),
    after_success=for_app.finish_sign_up,
)
