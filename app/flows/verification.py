"""Email verification by code; a signed-in user may skip it for now."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext, lazy_gettext as _l  # type: ignore[import-untyped]

from ..limits import Limited
from ..outcomes import Flow, Reason
from .kind import FlowKind, Page
from .recovery import CODE_EXPIRED


def page(flow: Flow, page: Page) -> None:
    state = flow.get("state")
    if state == "sent_email":
        page.lead = gettext("Enter the code we emailed you.")
    elif state != "passed_challenge":
        page.lead = gettext("We will email you a code to confirm the address is yours.")
    if g.identity_session is not None and state != "passed_challenge":
        page.links.append((page.return_to or url_for("pages.home"), gettext("Skip for now")))


KIND = FlowKind("verification", _l("Verify your email"), ("return_to",), groups=(("code", ""),),
                notices=((Reason.EXPIRED, CODE_EXPIRED),), page=page, limited=Limited("email"))
