"""Hydra's consent and logout app, the OAuth2 error page and Hydra's token hook.

Sign-in for an app needs nothing here: Kratos accepts Hydra's login request itself
(app/flows/for_app.py only names the app on the page). Every Hydra call goes through
app/hydra.py and every Hydra answer through app/hydra_outcomes.interpret_hydra.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from werkzeug.wrappers import Response

from .auth import identity_label, kratos, rule
from .config import Settings
from .deadline import request_scope
from .errors import Page, error_page, render_failure
from .hydra import HydraClient
from .hydra_outcomes import ChallengeProblem, ChallengeRefused, HydraOutcome, interpret_hydra, redirect_to
from .i18n import _l
from .i18n import gettext as _
from .kratos import KratosUnavailable, is_kratos_id
from .navigate import to_issued
from .outcomes import Failure, Success
from .redirects import origin_of, origins_of
from .security import allow_form_action, allow_image

bp = Blueprint("oauth2", __name__)
log = logging.getLogger(__name__)

# Where the consenting Kratos session's id travels inside Hydra's token session (the access
# token's `ext`), so that the token hook can find it on a refresh.
SESSION_CLAIM = "kratos_session_id"
# The header Hydra's oauth2.token_hook sends the shared secret in (hydra.yml: auth.config.name).
TOKEN_HOOK_HEADER = "X-Token-Hook-Secret"
# "Remember this decision": Hydra skips the question for this long.
REMEMBER_FOR = 30 * 24 * 3600

SCOPE_TEXT = {
    "openid": _l("Know who you are (your account's identifier)"),
    "email": _l("See your email address"),
    "profile": _l("See your name"),
    "offline_access": _l("Stay connected while you are away (it can refresh its access)"),
    "offline": _l("Stay connected while you are away (it can refresh its access)"),
}

CHALLENGE_TEXT = {
    ChallengeProblem.MISSING: (
        _l("Nothing to answer here"),
        _l("This page is opened by an app asking for access. Start from the app."),
    ),
    ChallengeProblem.UNKNOWN: (
        _l("This request is not valid any more"),
        _l("It may have expired, or the link is incomplete. Go back to the app and start again."),
    ),
    ChallengeProblem.USED: (
        _l("This request was already answered"),
        _l("You have already made this decision. Go back to the app, or start again."),
    ),
}

# OAuth2 error codes (RFC 6749, OpenID Connect) that Hydra sends to /error, in plain words.
OAUTH2_ERRORS = {
    "access_denied": (_l("Access was not granted"), _l("The request was denied, so the app did not get access.")),
    "invalid_request": (_l("The app's request was not valid"), _l("The app sent a request we could not accept.")),
    "invalid_client": (_l("Unknown app"), _l("The app asking for access is not registered here.")),
    "unauthorized_client": (_l("That app may not do this"), _l("The app is not allowed to make this request.")),
    "invalid_scope": (_l("The app asked for something unknown"), _l("The app asked for access that does not exist.")),
    "unsupported_response_type": (
        _l("The app's request was not valid"),
        _l("The app asked in a way we do not support."),
    ),
    "invalid_redirect_uri": (
        _l("The app's return address is not registered"),
        _l("For your safety we did not send you back to that app."),
    ),
    "request_forbidden": (_l("Not allowed"), _l("That request is not allowed.")),
    "login_required": (_l("Please sign in"), _l("The app needs you to sign in first.")),
    "consent_required": (_l("Your consent is needed"), _l("The app needs your consent first.")),
    "interaction_required": (_l("Your input is needed"), _l("The app needs you to sign in or consent first.")),
    "server_error": (_l("Something went wrong"), _l("The sign-in service had a problem. Please try again.")),
    "temporarily_unavailable": (_l("Sign-in service busy"), _l("Please try again in a moment.")),
}
_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")


def hydra() -> HydraClient:
    client: HydraClient | None = current_app.extensions.get("hydra")
    if client is None:
        abort(404)  # no Hydra configured: this UI is no OAuth2 login app
    return client


def settings() -> Settings:
    found: Settings = current_app.config["SETTINGS"]
    return found


def form_token(purpose: str, challenge: str) -> str:
    """The UI's own CSRF token for a consent or logout form: an HMAC (SECRET_KEY) of the
    challenge and this browser's Kratos session id. Stateless, so any replica checks it."""
    session_id = str((g.identity_session or {}).get("id", ""))
    key = (settings().secret_key or "").encode()
    return hmac.new(key, f"{purpose}\n{challenge}\n{session_id}".encode(), hashlib.sha256).hexdigest()


def token_ok(purpose: str, challenge: str) -> bool:
    return hmac.compare_digest(request.form.get("csrf_token", ""), form_token(purpose, challenge))


FORM_EXPIRED = (
    _l("Your form could not be accepted"),
    _l(
        "For your security, that form was rejected (it may be from another tab or an earlier sign-in). "
        "Go back to the app and start again."
    ),
)


def problem_page(outcome: HydraOutcome) -> Page:
    """The page for a challenge Hydra refused, or for Hydra failing: never Hydra's own words."""
    if isinstance(outcome, ChallengeRefused):
        title, message = CHALLENGE_TEXT[outcome.problem]
        return error_page(outcome.status, title, message, retry_url=rule().from_ory(outcome.restart_url))
    assert isinstance(outcome, Failure)
    return render_failure(outcome)


def read_challenge(name: str) -> tuple[str, HydraOutcome | None]:
    challenge = request.values.get(name, "")
    if not challenge or len(challenge) > 4096:
        return challenge, ChallengeRefused(400, ChallengeProblem.MISSING if not challenge else ChallengeProblem.UNKNOWN)
    return challenge, None


# -- consent -------------------------------------------------------------------


def identity_claims(identity: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
    """The id_token claims for what was granted: email and email_verified (from Kratos's
    verifiable addresses) for `email`, name for `profile` when the schema has one."""
    traits = identity.get("traits") or {}
    claims: dict[str, Any] = {}
    email = traits.get("email")
    if "email" in scopes and isinstance(email, str) and email:
        claims["email"] = email
        claims["email_verified"] = any(
            a.get("verified") is True and str(a.get("value", "")).lower() == email.lower()
            for a in identity.get("verifiable_addresses") or []
            if isinstance(a, dict)
        )
    name = traits.get("name")
    if "profile" in scopes:
        if isinstance(name, str) and name:
            claims["name"] = name
        elif isinstance(name, dict):
            first, last = name.get("first"), name.get("last")
            if isinstance(first, str) and first:
                claims["given_name"] = first
            if isinstance(last, str) and last:
                claims["family_name"] = last
            full = " ".join(p for p in (first, last) if isinstance(p, str) and p)
            if full:
                claims["name"] = full
    return claims


def subject_identity(subject: str) -> dict[str, Any] | Failure:
    """The consenting identity (Hydra's subject is the Kratos identity id), through the admin API."""
    if not is_kratos_id(subject):
        return Failure(502)
    answer = kratos().get_identity(subject, for_request=request_scope())
    if answer.status != 200 or not isinstance(answer.body, dict):
        log.warning("Kratos did not return the consenting identity (status %s)", answer.status)
        return Failure(502)
    return answer.body


def accept_consent(challenge: str, consent: dict[str, Any], identity: dict[str, Any], remember: bool) -> View:
    scopes = [s for s in consent.get("requested_scope") or [] if isinstance(s, str)]
    access: dict[str, Any] = {}
    session = g.identity_session
    if settings().token_hook_secret and session and (session.get("identity") or {}).get("id") == identity.get("id"):
        # For the token hook: a refresh then extends this Kratos session.
        access[SESSION_CLAIM] = session.get("id")
    outcome = interpret_hydra(
        hydra().accept_consent(
            challenge,
            grant_scope=scopes,
            audience=list(consent.get("requested_access_token_audience") or []),
            remember=remember,
            remember_for=REMEMBER_FOR if remember else 0,
            id_token=identity_claims(identity, scopes),
            access_token=access,
            for_request=request_scope(),
        )
    )
    if not isinstance(outcome, Success):
        return problem_page(outcome)
    return to_issued(redirect_to(outcome))


View = Response | Page | str

# Hydra v2.3.0's challenges are stateless: a used one still reads as valid. The browser that
# answered keeps a mark of it (a cookie, so any replica knows), and a replay gets a clear page.
ANSWERED_COOKIE = "oauth2_consent_answered"


def answered_mark(challenge: str) -> str:
    return form_token("answered", challenge)[:32]


def remember_answered(challenge: str, view: View) -> View:
    if isinstance(view, Response):
        view.set_cookie(
            ANSWERED_COOKIE,
            answered_mark(challenge),
            max_age=3600,
            path="/consent",
            httponly=True,
            samesite="Lax",
            secure=settings().ui_url.startswith("https://"),
        )
    return view


@bp.route("/consent", methods=["GET", "POST"])
def consent() -> View:
    hydra()  # 404 before anything else when this UI is no OAuth2 login app
    challenge, refused = read_challenge("consent_challenge")
    if refused:
        return problem_page(refused)
    if hmac.compare_digest(request.cookies.get(ANSWERED_COOKIE, ""), answered_mark(challenge)):
        return problem_page(ChallengeRefused(409, ChallengeProblem.USED))
    outcome = interpret_hydra(hydra().get_consent(challenge, for_request=request_scope()))
    if not isinstance(outcome, Success):
        return problem_page(outcome)
    consent_request = outcome.object
    client = consent_request.get("client") or {}
    identity = subject_identity(str(consent_request.get("subject", "")))
    if isinstance(identity, Failure):
        return render_failure(identity)
    if request.method == "POST":
        if not token_ok("consent", challenge):
            return error_page(403, *FORM_EXPIRED)
        if request.form.get("decision") == "allow":
            return remember_answered(
                challenge,
                accept_consent(challenge, consent_request, identity, remember=bool(request.form.get("remember"))),
            )
        denied = interpret_hydra(
            hydra().reject_consent(
                challenge, "access_denied", "The user denied the request.", for_request=request_scope()
            )
        )
        return (
            remember_answered(challenge, to_issued(redirect_to(denied)))
            if isinstance(denied, Success)
            else problem_page(denied)
        )
    if (
        consent_request.get("skip")
        or client.get("skip_consent")
        or client.get("client_id") in settings().trusted_client_ids
    ):
        # Remembered, or a first-party app: Hydra already has (or needs no) decision.
        return accept_consent(challenge, consent_request, identity, remember=False)
    # Chrome checks form-action across the redirects after the post: Hydra, then the app's callback.
    allow_form_action(*origins_of(client.get("redirect_uris")))
    return render_template(
        "consent.html",
        challenge=challenge,
        csrf_token=form_token("consent", challenge),
        app=app_view(client),
        account=identity_label({"identity": identity}),
        scopes=[(s, SCOPE_TEXT.get(s)) for s in consent_request.get("requested_scope") or [] if isinstance(s, str)],
    )


def app_view(client: dict[str, Any]) -> dict[str, Any]:
    """What a page may show of an OAuth2 client: its name, and links and logo through the rule."""
    logo = rule().image_source(client.get("logo_uri"))
    allow_image(origin_of(logo))
    links = [
        (label, rule().from_ory(client.get(key)))
        for key, label in (
            ("client_uri", _l("Website")),
            ("policy_uri", _l("Privacy policy")),
            ("tos_uri", _l("Terms of service")),
        )
    ]
    return {
        "name": str(client.get("client_name") or client.get("client_id") or _("An app")),
        "logo": logo,
        "links": [(label, url) for label, url in links if url],
    }


# -- OAuth2 logout ---------------------------------------------------------------


@bp.route("/oauth2/logout", methods=["GET", "POST"])
def logout() -> View:
    hydra()
    challenge, refused = read_challenge("logout_challenge")
    if refused:
        return problem_page(refused)
    outcome = interpret_hydra(hydra().get_logout(challenge, for_request=request_scope()))
    if not isinstance(outcome, Success):
        return problem_page(outcome)
    client = outcome.object.get("client") or {}
    if request.method == "POST":
        if not token_ok("logout", challenge):
            return error_page(403, *FORM_EXPIRED)
        if request.form.get("decision") != "sign_out":
            rejected = interpret_hydra(hydra().reject_logout(challenge, for_request=request_scope()))
            if not isinstance(rejected, Success):
                return problem_page(rejected)
            return redirect("/", code=303)
    elif not client.get("skip_logout_consent"):
        allow_form_action(*origins_of(client.get("post_logout_redirect_uris")))
        return render_template(
            "oauth2_logout.html",
            challenge=challenge,
            csrf_token=form_token("logout", challenge),
            app=app_view(client) if client else None,
        )
    # Hydra ends its session and, through urls.identity_provider (Kratos's admin API), Kratos's too.
    accepted = interpret_hydra(hydra().accept_logout(challenge, for_request=request_scope()))
    return to_issued(redirect_to(accepted)) if isinstance(accepted, Success) else problem_page(accepted)


# -- the error page's OAuth2 part --------------------------------------------------


def oauth2_error_page() -> Page:
    """Hydra's (and apps') redirects to /error?error=…&error_description=…. Anyone can craft
    such a link, so only known error codes are worded, in our words; the free text
    (error_description, error_hint) is never shown, and an unknown code only as a reference."""
    code = request.args.get("error", "")
    title, message = OAUTH2_ERRORS.get(code) or (
        _("Something went wrong"),
        _("The app's sign-in could not be completed. Please start again from the app."),
    )
    status = 403 if code == "access_denied" else 400
    return error_page(status, title, message, reference=code if _ERROR_CODE.fullmatch(code) else None)


# -- Hydra's token hook --------------------------------------------------------------


@bp.route("/oauth2/token-hook", methods=["POST"])
def token_hook() -> tuple[str, int]:
    """Hydra calls this on every token it issues. On a refresh, extend the Kratos session
    that consented (its id travels in the token session's `extra`, see accept_consent).
    Answers 204: Hydra then keeps the token's claims as they are."""
    secret = settings().token_hook_secret
    if not secret:
        abort(404)
    if not hmac.compare_digest(request.headers.get(TOKEN_HOOK_HEADER, "").encode(), secret.encode()):
        return "", 401
    payload = request.get_json(silent=True)
    payload = payload if isinstance(payload, dict) else {}
    grant_types = (payload.get("request") or {}).get("grant_types") or []
    extra = (payload.get("session") or {}).get("extra") or {}
    session_id = extra.get(SESSION_CLAIM) if isinstance(extra, dict) else None
    if "refresh_token" in grant_types and isinstance(session_id, str) and is_kratos_id(session_id):
        extend_kratos_session(session_id)
    return "", 204


def extend_kratos_session(session_id: str) -> None:
    """Kratos extends only within session.earliest_possible_extend of the expiry and ignores
    the call otherwise, as for sliding sessions (app/auth.py). A failure never blocks the token."""
    try:
        answer = kratos().extend_session(session_id, for_request=request_scope())
    except KratosUnavailable:
        log.warning("token hook: Kratos unreachable, session not extended")
        return
    if answer.status not in (200, 204):
        log.warning("token hook: Kratos did not extend the session (status %s)", answer.status)
