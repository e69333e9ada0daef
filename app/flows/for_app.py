"""Sign-in and sign-up for an OAuth2 app (Hydra's login request, which Kratos's flow carries):
name the app, and keep its `login_challenge` on every link that leaves the page, so the
app's sign-in survives a detour through sign-up or recovery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, request, url_for
from werkzeug.wrappers import Response

from .. import outcomes
from ..auth import browser, kratos, rule, ui_url
from ..deadline import request_scope
from ..hydra_outcomes import interpret_hydra, redirect_to
from ..kratos import Browser, is_kratos_id
from ..navigate import to_issued
from ..outcomes import Flow
from ..redirects import origin_of, origins_of
from ..security import allow_form_action, allow_image
from ..templating import carry_in_header
from .kind import Page


def login_request(flow: Flow) -> tuple[str | None, dict[str, Any]]:
    """(the challenge, Hydra's client) this flow is for, or (None, {})."""
    challenge = flow.get("oauth2_login_challenge")
    request = flow.get("oauth2_login_request")
    client = request.get("client") if isinstance(request, dict) else None
    return (challenge if isinstance(challenge, str) and challenge else None, client if isinstance(client, dict) else {})


def _with(href: str, **params: str) -> str:
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def name_the_app(flow: Flow, page: Page, *, lead: str) -> None:
    challenge, client = login_request(flow)
    if client:
        page.app_name = str(client.get("client_name") or client.get("client_id") or "") or None
        page.app_lead = lead
        page.app_logo = rule().image_source(client.get("logo_uri"))
        allow_image(origin_of(page.app_logo))
        # After the post, Kratos sends the browser to Hydra, and Hydra on to the app's callback:
        # Chrome checks the whole chain against this page's form-action.
        allow_form_action(*origins_of(client.get("redirect_uris")))
    if not challenge:
        return
    carry_in_header(login_challenge=challenge)
    carried = []
    for href, label in page.links:
        path = urlsplit(href).path
        if path in (url_for("flows.login"), url_for("flows.registration")):
            carried.append((_with(href, login_challenge=challenge), label))
        else:
            # Recovery and verification know no login_challenge: they return to this sign-in.
            carried.append((_with(href, return_to=ui_url(url_for("flows.login", login_challenge=challenge))), label))
    page.links = carried


def finish_sign_up(body: Any) -> Response | None:
    """Sign-up for an app ends at the app. Kratos v1.3.1 accepts Hydra's login request when a
    registration with a login_challenge succeeds, but to a JSON request (this UI's) it answers
    with the session only: Hydra's next URL is lost. So the UI accepts the same login request
    itself, as Kratos does (subject, Kratos session id, methods), and sends the browser on."""
    hydra = current_app.extensions.get("hydra")
    flow_id = request.args.get("flow")
    session = body.get("session") if isinstance(body, dict) else None
    if hydra is None or not is_kratos_id(flow_id) or not isinstance(session, dict):
        return None
    # With the cookies the browser sent: Kratos rotated the CSRF cookie on success, and the
    # flow checks the old one. What this look-up sets is not relayed.
    before = Browser(
        cookies=dict(request.cookies),
        user_agent=browser().user_agent,
        client_ip=browser().client_ip,
        for_request=request_scope(),
    )
    fetched = outcomes.interpret(kratos().get_flow(before, "registration", str(flow_id)))
    challenge = fetched.flow.get("oauth2_login_challenge") if isinstance(fetched, outcomes.ShowFlow) else None
    identity_id = (session.get("identity") or {}).get("id")
    if not isinstance(challenge, str) or not challenge or not is_kratos_id(identity_id):
        return None
    amr = [str(m.get("method")) for m in session.get("authentication_methods") or [] if isinstance(m, dict)]
    accepted = interpret_hydra(
        hydra.accept_login(
            challenge,
            subject=identity_id,
            session_id=str(session.get("id", "")),
            amr=amr,
            remember_for=_seconds_left(session),
            for_request=request_scope(),
        )
    )
    url = redirect_to(accepted)
    return to_issued(url) if url else None


def _seconds_left(session: dict[str, Any]) -> int:
    try:
        expires = datetime.fromisoformat(str(session["expires_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0
    return max(0, int((expires - datetime.now(UTC)).total_seconds()))
