"""Account settings: one card per method, and a way to refresh a stale sign-in.

After recovery the page is only "Set a new password"."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from functools import partial
from typing import Any

from babel.dates import format_date
from flask import g, request, url_for
from werkzeug.wrappers import Response

from .. import outcomes
from ..auth import browser, kratos, login_required, ui_url
from ..deadline import request_scope
from ..errors import Page as ErrorPage
from ..errors import error_page
from ..i18n import DEFAULT_LOCALE, _l, current_locale, gettext
from ..kratos import Answer, KratosUnavailable, is_kratos_id
from ..outcomes import Flow, ShowFlow
from .kind import Card, FlowKind, Page

GROUPS = (
    ("profile", _l("Email address")),
    ("password", _l("Password")),
    ("totp", _l("Authenticator app")),
    ("lookup_secret", _l("Backup codes")),
    ("webauthn", _l("Security keys")),
    ("passkey", _l("Passkeys")),
    ("oidc", _l("Linked accounts")),
)

WHY = {
    "profile": _l("The address you sign in with, and where we send codes."),
    "password": _l("Signs you in together with your email address."),
    "totp": _l(
        "A six-digit code from an app on your phone, asked for after you sign in. "
        "It keeps your account safe even if your password leaks."
    ),
    "lookup_secret": _l("One-time codes for signing in when you do not have your phone. Keep them somewhere safe."),
    "webauthn": _l("A hardware key you touch to confirm it's you, as a second step."),
    "passkey": _l("Sign in with your fingerprint, face or screen lock instead of a password."),
    "oidc": _l("Sign in with an account you have elsewhere."),
}

# Node names whose presence means the method is on (Kratos offers to remove what exists).
ON_WHEN = {
    "totp": ("totp_unlink",),
    "lookup_secret": ("lookup_secret_reveal", "lookup_secret_disable", "lookup_secret_regenerate_confirm"),
    "webauthn": ("webauthn_remove",),
    "passkey": ("passkey_remove",),
    "oidc": ("unlink",),
}
# Authentication methods of a session that came from account recovery (no other sign-in).
RECOVERY_METHODS = {"code_recovery", "link_recovery"}


def _names_by_group(flow: Flow) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for node, attrs in flow.inputs():
        names.setdefault(str(node.get("group")), set()).add(str(attrs.get("name")))
    return names


def _session_methods() -> set[str]:
    session = g.identity_session or {}
    return {str(m.get("method")) for m in session.get("authentication_methods") or [] if isinstance(m, dict)}


def _relabel(flow: Flow, labels: dict[tuple[str, str], str]) -> None:
    """Name buttons for their action (Kratos calls every one "Save"): {(group, name): label}."""
    for node, attrs in flow.inputs():
        label = labels.get((str(node.get("group")), str(attrs.get("name"))))
        if label is not None and attrs.get("type") == "submit":
            node["meta"] = {**(node.get("meta") or {}), "label": {"text": label, "type": "info"}}


def signed_in_identity_id() -> str | None:
    """The id of the identity whose settings these are (whoami's), for the admin API."""
    identity_id = str(((g.identity_session or {}).get("identity") or {}).get("id"))
    return identity_id if is_kratos_id(identity_id) else None


ASKED = "ui.credentials_asked"  # on the request's environ, not `g`: an app context can outlive one request


def ask_for_credentials() -> Future[Answer] | None:
    """Shown, not submitted, a flow changes no credential: ask for them beside its fetch."""
    identity_id = signed_in_identity_id()
    if identity_id is None:
        return None
    client, scope = kratos(), request_scope()
    asked = request.environ[ASKED] = client.beside(partial(client.get_identity, identity_id, for_request=scope))
    return asked


def identity_credentials() -> dict[str, Any] | None:
    """The signed-in identity's credentials by type (whoami leaves them out), from the admin API;
    Kratos empties every credential's config there, so only types and dates arrive. None: unknown.
    Asked for after a submission (Kratos's answer may have added a credential), else beside the fetch."""
    asked: Future[Answer] | None = request.environ.pop(ASKED, None)
    try:
        if asked is not None:
            # Queued behind other requests' calls, it may not even start before this one's deadline.
            answer = asked.result(timeout=request_scope().timeout(kratos().timeout, "kratos credential dates"))
        elif (identity_id := signed_in_identity_id()) is not None:
            answer = kratos().get_identity(identity_id, for_request=request_scope())
        else:
            return None
    except (KratosUnavailable, TimeoutError):
        return None
    body = answer.body if answer.status == 200 and isinstance(answer.body, dict) else {}
    credentials = body.get("credentials")
    return credentials if isinstance(credentials, dict) else None


def _since(credential: Any) -> str | None:
    try:
        moment = datetime.fromisoformat(str(credential.get("created_at")).replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    locale = current_locale()
    # "1 December 2026" in English; each other language its own long date.
    return format_date(moment, "d MMMM y" if locale == DEFAULT_LOCALE else "long", locale=locale)


def _state(on: bool, credential: Any) -> str:
    if not on:
        return str(gettext("Not set up"))
    since = _since(credential) if credential else None
    return str(gettext("On since %(date)s", date=since) if since else gettext("On"))


def cards(flow: Flow, credentials: dict[str, Any] | None = None) -> dict[str, Card]:
    names_by_group = _names_by_group(flow)
    groups = {str(node.get("group")) for node in flow.nodes}
    credentials = credentials or {}
    found: dict[str, Card] = {}
    for group in groups & set(WHY):
        names = names_by_group.get(group, set())
        on = any(name in names for name in ON_WHEN.get(group, ()))
        state = _state(on, credentials.get(group)) if group in ON_WHEN else None
        found[group] = Card(why=WHY[group], state=state, on=on)
    if "password" in found and ("password" in credentials or "password" in _session_methods()):
        found["password"].state, found["password"].on = _state(True, credentials.get("password")), True
    totp, codes = found.get("totp"), found.get("lookup_secret")
    if totp and any(n.get("attributes", {}).get("id") == "totp_qr" for n in flow.nodes):
        totp.enrol = gettext("Add authenticator app")
    if totp and totp.on and codes and not codes.on:
        totp.next_step = (gettext("Next, create backup codes in case you lose your phone."), "#group-lookup_secret")
    if codes and any((n.get("attributes") or {}).get("id") == "lookup_secret_codes" for n in flow.nodes):
        codes.download = (gettext("Download the codes as a text file"), url_for("flows.backup_codes", flow=flow.id))
    return found


def page(flow: Flow, page: Page) -> None:
    identity = flow.get("identity")
    if isinstance(identity, dict) and g.identity_session is not None:
        # The flow carries the identity as saved (a new email, say): the header names that one,
        # not the one whoami gave before this change.
        g.identity_session = {**g.identity_session, "identity": identity}
    page.cards = cards(flow, identity_credentials())
    password_on = page.cards.get("password") and page.cards["password"].on
    labels = {
        ("profile", "method"): gettext("Save email address"),
        ("password", "method"): gettext("Change password") if password_on else gettext("Set password"),
        ("totp", "method"): gettext("Verify and turn on"),
    }
    methods = _session_methods()
    if methods and methods <= RECOVERY_METHODS and request.args.get("show") != "all":
        # Signed in by a recovery code: what the user came for is a new password.
        page.title = gettext("Set a new password")
        page.lead = gettext("Choose a new password for your account. You are signed in, so it takes effect at once.")
        page.only_groups = ("password",)
        _relabel(flow, {**labels, ("password", "method"): gettext("Set new password")})
        page.links = [
            (page.return_to or url_for("pages.home"), gettext("Continue without changing it")),
            (url_for("flows.settings", show="all"), gettext("All account settings")),
        ]
        return
    _relabel(flow, labels)
    page.reauthenticate_url = url_for("flows.login", refresh="true", return_to=ui_url(url_for("flows.settings")))


def backup_code_lines(data: dict[str, Any]) -> list[str]:
    for node in (data.get("ui") or {}).get("nodes") or []:
        attrs = node.get("attributes") or {}
        if attrs.get("id") == "lookup_secret_codes":
            secrets = ((attrs.get("text") or {}).get("context") or {}).get("secrets") or []
            return [str(s.get("text")) for s in secrets if isinstance(s, dict) and s.get("text")]
    return []


@login_required
def backup_codes() -> Response | ErrorPage:
    """The backup codes the current settings flow shows, as a file (never cached, never in a URL)."""
    flow_id = request.args.get("flow", "")
    outcome = outcomes.interpret(kratos().get_flow(browser(), "settings", flow_id)) if is_kratos_id(flow_id) else None
    lines = backup_code_lines(outcome.flow.data) if isinstance(outcome, ShowFlow) else []
    if not lines:
        return error_page(
            404,
            gettext("No backup codes to download"),
            gettext("Open your settings and show or create your backup codes first."),
        )
    text = gettext("Backup codes for your account. Each code works once.") + "\n\n" + "\n".join(lines) + "\n"
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": 'attachment; filename="backup-codes.txt"', "Cache-Control": "no-store"},
    )


KIND = FlowKind(
    "settings",
    _l("Account settings"),
    ("return_to",),
    requires_session=True,
    cards=True,
    groups=GROUPS,
    beside_fetch=ask_for_credentials,
    page=page,
)
