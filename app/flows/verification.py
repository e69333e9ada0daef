"""Email verification by code; a signed-in user may skip it for now."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import g, url_for

from ..auth import ui_url
from ..i18n import _l, gettext
from ..limits import Limited
from ..outcomes import Flow, Reason
from .kind import FlowKind, Page
from .recovery import CODE_EXPIRED


def back_to_the_apps_sign_in(flow: Flow) -> None:
    """Kratos v26 starts verification itself when sign-in for an app meets an unverified address;
    that flow has no return_to, so its Continue would end at home. Send it back to the sign-in,
    which still holds the app's login_challenge (kept in the flow's request URL)."""
    challenge = parse_qs(urlsplit(str(flow.get("request_url") or "")).query).get("login_challenge")
    if not challenge or flow.get("return_to"):
        return
    for node in flow.nodes:
        attrs = node.get("attributes") or {}
        if node.get("type") == "a" and attrs.get("href"):
            attrs["href"] = ui_url(url_for("flows.login", login_challenge=challenge[0]))


def page(flow: Flow, page: Page) -> None:
    state = flow.get("state")
    if state == "passed_challenge":
        back_to_the_apps_sign_in(flow)
    if state == "sent_email":
        page.lead = gettext("Enter the code we emailed you.")
    elif state != "passed_challenge":
        page.lead = gettext("We will email you a code to confirm the address is yours.")
    if g.identity_session is not None and state != "passed_challenge":
        page.links.append((page.return_to or url_for("pages.home"), gettext("Skip for now")))


KIND = FlowKind(
    "verification",
    _l("Verify your email"),
    ("return_to",),
    groups=(("code", ""),),
    notices=((Reason.EXPIRED, CODE_EXPIRED),),
    page=page,
    limited=Limited("email"),
    done_despite_not_found=True,
)
