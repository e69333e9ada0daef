"""Account settings: one form per method, and a way to refresh a stale sign-in."""

from __future__ import annotations

from flask import url_for

from ..auth import ui_url
from ..outcomes import Flow
from .kind import FlowKind, Page

GROUPS = (
    ("profile", "Profile"),
    ("password", "Password"),
    ("totp", "Authenticator app"),
    ("lookup_secret", "Backup codes"),
    ("webauthn", "Security keys"),
    ("passkey", "Passkeys"),
    ("oidc", "Linked accounts"),
)


def page(_flow: Flow, page: Page) -> None:
    page.reauthenticate_url = url_for("flows.login", refresh="true", return_to=ui_url(url_for("flows.settings")))


KIND = FlowKind("settings", "Account settings", ("return_to",), requires_session=True, cards=True,
                groups=GROUPS, page=page)
