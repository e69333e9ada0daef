"""Sign-in and sign-up for an OAuth2 app (Hydra's login request, which Kratos's flow carries):
name the app, and keep its `login_challenge` on every link that leaves the page, so the
app's sign-in survives a detour through sign-up or recovery."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import url_for

from ..auth import rule, ui_url
from ..outcomes import Flow
from ..redirects import origin_of
from ..security import allow_form_action, allow_image
from .kind import Page


def login_request(flow: Flow) -> tuple[str | None, dict[str, Any]]:
    """(the challenge, Hydra's client) this flow is for, or (None, {})."""
    challenge = flow.get("oauth2_login_challenge")
    request = flow.get("oauth2_login_request")
    client = request.get("client") if isinstance(request, dict) else None
    return (challenge if isinstance(challenge, str) and challenge else None,
            client if isinstance(client, dict) else {})


def _with(href: str, **params: str) -> str:
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def name_the_app(flow: Flow, page: Page, *, verb: str) -> None:
    challenge, client = login_request(flow)
    if client:
        page.app_name = str(client.get("client_name") or client.get("client_id") or "") or None
        page.app_lead = f"{verb} to continue to"
        page.app_logo = rule().image_source(client.get("logo_uri"))
        allow_image(origin_of(page.app_logo))
        # After the post, Kratos sends the browser to Hydra, and Hydra on to the app's callback:
        # Chrome checks the whole chain against this page's form-action.
        allow_form_action(*(origin_of(u) for u in client.get("redirect_uris") or [] if isinstance(u, str)))
    if not challenge:
        return
    carried = []
    for href, label in page.links:
        path = urlsplit(href).path
        if path in (url_for("flows.login"), url_for("flows.registration")):
            carried.append((_with(href, login_challenge=challenge), label))
        else:
            # Recovery and verification know no login_challenge: they return to this sign-in.
            carried.append((_with(href, return_to=ui_url(url_for("flows.login", login_challenge=challenge))), label))
    page.links = carried
