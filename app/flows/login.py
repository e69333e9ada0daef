"""Sign-in: refresh ("Confirm it's you"), the second factor, and an unverified address."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from .. import outcomes
from ..auth import browser, identity_label, kratos, ui_url
from ..errors import render_failure
from ..i18n import _l, gettext
from ..limits import Limited
from ..navigate import to_return_to
from ..outcomes import Failure, Flow, ShowFlow
from . import for_app, verification
from .kind import FlowKind, Page, View
from .view import init_params, respond

# Kratos message: "Account not active yet. Did you forget to verify your email address?"
ADDRESS_NOT_VERIFIED = 4000010
# Kratos message: the provider's email already has an account; sign in to it to link the provider.
SIGN_IN_TO_LINK = 1010016

GROUPS = (
    ("password", _l("Sign in with password")),
    ("passkey", _l("Sign in with a passkey")),
    ("code", _l("Email me a code")),
    ("totp", _l("Authenticator app")),
    ("lookup_secret", _l("Use a backup code")),
    ("webauthn", _l("Use a security key")),
    ("oidc", _l("Sign in with another account")),
)


def page(flow: Flow, page: Page) -> None:
    for_app.name_the_app(flow, page, lead=gettext("Sign in to continue to"))
    linking = next((m for m in flow.messages if m.get("id") == SIGN_IN_TO_LINK), None)
    if linking is not None:
        provider = str((linking.get("context") or {}).get("provider") or gettext("that account"))
        page.title = gettext("Link %(provider)s to your account", provider=provider)
        page.lead = gettext(
            "This email already has an account here. Sign in to it once as below, and "
            "%(provider)s will sign you in to it from then on.",
            provider=provider,
        )
    elif flow.get("refresh") and g.identity_session is not None:
        page.title = gettext("Confirm it's you")
        page.lead = gettext("To continue, please confirm it's you by signing in again as")
        page.lead_account = identity_label(g.identity_session)
        page.sign_out_offer = gettext("Not %(account)s?", account=page.lead_account)
        page.cancel_url = page.return_to or url_for("pages.home")
        fill_refresh_identifier(flow, page.lead_account)
    elif flow.get("requested_aal") == "aal2":
        page.title = gettext("Second factor")
        page.lead = gettext("Your account has a second factor. Use it to finish signing in.")
        page.sign_out_offer = gettext("Can't use your second factor?")


def fill_refresh_identifier(flow: Flow, identifier: str) -> None:
    """A refresh login is for the signed-in account. With passwordless codes enabled,
    Kratos 1.3.1 sends the identifier empty and visible, so fill it in and hide it, as
    Kratos itself does without codes."""
    for _node, attrs in flow.inputs():
        if attrs.get("name") == "identifier" and not attrs.get("value"):
            attrs.update(value=identifier, type="hidden")


def after_submit(flow: Flow, submitted: MultiDict[str, str]) -> View | None:
    if flow.has_message(ADDRESS_NOT_VERIFIED):
        return start_verification(submitted.get("identifier", ""), for_app.login_request(flow)[0])
    return None


def start_verification(address: str, login_challenge: str | None = None) -> View:
    """Sign-in refused an unverified address: send it a code and show the verification form.

    Everything the user then reads comes from Kratos's verification flow, not from
    a message this UI could be tricked into showing.
    """
    params = init_params(KIND, request.args)
    if login_challenge:  # an app's sign-in continues after verifying
        params["login_challenge"] = login_challenge
    return_to = ui_url(url_for("flows.login", **params))
    outcome = outcomes.interpret(kratos().create_browser_flow(browser(), "verification", {"return_to": return_to}))
    if not isinstance(outcome, ShowFlow):
        return respond(verification.KIND, outcome)
    flow = outcome.flow
    if address:
        sent = outcomes.interpret(
            kratos().submit_flow(
                browser(),
                "verification",
                flow.id,
                [("csrf_token", flow.value_of("csrf_token") or ""), ("email", address), ("method", "code")],
            )
        )
        if isinstance(sent, Failure):
            return render_failure(sent)
    return redirect(url_for("flows.verification", flow=flow.id), code=303)


KIND = FlowKind(
    "login",
    _l("Sign in"),
    ("return_to", "refresh", "aal", "login_challenge"),
    links=(("flows.registration", _l("Create an account")), ("flows.recovery", _l("Forgot your password?"))),
    groups=GROUPS,
    without_shared_fields=("passkey", "oidc", "totp", "lookup_secret"),
    when_signed_in=lambda: to_return_to(request.args.get("return_to")),
    page=page,
    after_submit=after_submit,
    limited=Limited("identifier", "SIGN_IN"),
)
