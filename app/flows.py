"""One generic view for every Kratos self-service flow.

GET  /<flow>            -> start a browser flow at Kratos (it redirects back here)
GET  /<flow>?flow=ID    -> fetch and render the flow
POST /<flow>?flow=ID    -> submit the form to Kratos and act on its answer

Login, registration, settings, recovery and verification differ only in the
`FlowKind` data below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from . import limits, outcomes
from .auth import identity_label, kratos, sign_in_redirect
from .kratos import is_kratos_id
from .outcomes import (AlreadySignedIn, Failure, NewFlow, Redirect, ShowFlow, SignInRequired,
                       Success)
from .pages import render_failure
from .security import redirect_to, safe_return_to

bp = Blueprint("flows", __name__)

# Never copied back into a restarted form: secrets, one-time codes and controls.
_NOT_PREFILLED_TYPES = {"password", "hidden", "submit", "button"}
_NOT_PREFILLED_NAMES = {"csrf_token", "code", "totp_code", "lookup_secret"}

# Kratos message: "Account not active yet. Did you forget to verify your email address?"
ADDRESS_NOT_VERIFIED = 4000010

# Section titles by node group, in page order; groups not listed follow, titled by name.
SETTINGS_GROUPS = (
    ("profile", "Profile"),
    ("password", "Password"),
    ("totp", "Authenticator app"),
    ("lookup_secret", "Backup codes"),
    ("webauthn", "Security keys"),
    ("passkey", "Passkeys"),
    ("oidc", "Linked accounts"),
)
LOGIN_GROUPS = (
    ("password", "Sign in with password"),
    ("passkey", "Sign in with a passkey"),
    ("code", "Email me a code"),
    ("totp", "Authenticator app"),
    ("lookup_secret", "Use a backup code"),
    ("webauthn", "Use a security key"),
    ("oidc", "Sign in with another account"),
)
REGISTRATION_GROUPS = (
    ("password", "Sign up with a password"),
    ("passkey", "Sign up with a passkey"),
    ("code", "Email me a code"),
    ("oidc", "Sign up with another account"),
)

# What the user reads above a form that replaced a dead one, by outcomes.NewFlow reason.
NOTICES = {
    outcomes.EXPIRED: "That form had expired, so we started a new one. Please check your details and try again.",
    outcomes.CSRF: ("For your security we could not accept that form (it may have been open in another tab). "
                    "Please try again."),
    outcomes.RESTART: "That form is no longer valid, so we started a new one.",
}
# Kratos expires a code-by-email flow with its code.
CODE_EXPIRED = "That code has expired. Enter your email address to get a new one."

# Where Kratos's continue_with sends the user next, most specific first.
CONTINUE_ORDER = ("show_verification_ui", "show_settings_ui", "show_recovery_ui", "redirect_browser_to")


@dataclass(frozen=True)
class FlowKind:
    name: str
    title: str
    # Query parameters passed on to Kratos's /self-service/<name>/browser.
    init_params: tuple[str, ...]
    # Other flows linked from this page: (endpoint, label); return_to is passed on.
    links: tuple[tuple[str, str], ...] = ()
    requires_session: bool = False
    # One form per node group (settings), instead of one form for the flow.
    form_per_group: bool = False
    # A signed-in user asking to start this flow is sent here instead:
    # "return_to" (their return_to, else home) or an endpoint.
    when_signed_in: str | None = None
    # Notices that differ from NOTICES for this flow.
    notices: tuple[tuple[str, str], ...] = ()
    # (group, title) in page order.
    groups: tuple[tuple[str, str], ...] = ()


FLOWS = {
    "login": FlowKind("login", "Sign in", ("return_to", "refresh", "aal", "login_challenge"),
                      links=(("flows.registration", "Create an account"),
                             ("flows.recovery", "Forgot your password?")),
                      when_signed_in="return_to", groups=LOGIN_GROUPS),
    "registration": FlowKind("registration", "Create an account", ("return_to", "login_challenge"),
                             links=(("flows.login", "Already have an account? Sign in"),),
                             when_signed_in="return_to", groups=REGISTRATION_GROUPS),
    "settings": FlowKind("settings", "Account settings", ("return_to",), requires_session=True,
                         form_per_group=True, groups=SETTINGS_GROUPS),
    "recovery": FlowKind("recovery", "Recover your account", ("return_to",),
                         links=(("flows.login", "Back to sign in"),),
                         # Signed in already: the password can be changed in settings.
                         when_signed_in="flows.settings", notices=((outcomes.EXPIRED, CODE_EXPIRED),)),
    "verification": FlowKind("verification", "Verify your email address", ("return_to",),
                             notices=((outcomes.EXPIRED, CODE_EXPIRED),)),
}


@dataclass
class Section:
    group: str | None
    title: str | None
    nodes: list
    messages: list = field(default_factory=list)

    @property
    def visible(self) -> bool:
        """Whether anything here shows (a section of only hidden inputs and scripts gets no title)."""
        return any(n.get("type") not in ("script",) and n.get("attributes", {}).get("type") != "hidden"
                   for n in self.nodes)


def init_params(kind: FlowKind, args) -> dict:
    """The query parameters passed on to Kratos when starting `kind`; an untrusted return_to is dropped."""
    params = {key: args[key] for key in kind.init_params if args.get(key)}
    if "return_to" in params and not safe_return_to(params["return_to"]):
        del params["return_to"]
    return params


def init_url(kind: FlowKind, params: dict) -> str:
    """Kratos's browser endpoint that starts `kind` with `params` (see init_params)."""
    base = current_app.config["SETTINGS"].kratos_browser_url
    query = ("?" + urlencode(params)) if params else ""
    return f"{base}/self-service/{kind.name}/browser{query}"


def prefill(flow: dict, form: MultiDict) -> dict:
    """Copy what the user typed (never secrets) into a fresh flow's inputs."""
    for node in (flow.get("ui") or {}).get("nodes") or []:
        attrs = node.get("attributes") or {}
        name = attrs.get("name")
        if (node.get("type") == "input" and name in form and name not in _NOT_PREFILLED_NAMES
                and attrs.get("type") not in _NOT_PREFILLED_TYPES):
            attrs["value"] = form.get(name)
    return flow


def ui_sections(kind: FlowKind, flow: dict, active: str | None = None) -> tuple[list, list[Section]]:
    """(messages for the top of the page, the forms to render).

    Flow messages go into the `active` group's section (the one just submitted)."""
    ui = flow.get("ui") or {}
    nodes, messages = ui.get("nodes") or [], ui.get("messages") or []
    titles = dict(kind.groups)
    order = list(titles)
    shared = [n for n in nodes if n.get("group") == "default"]
    groups = list(dict.fromkeys(n.get("group") for n in nodes if n.get("group") != "default"))
    groups.sort(key=lambda grp: order.index(grp) if grp in order else len(order))
    # Settings: each section is its own form, so each needs the shared CSRF token.
    # Elsewhere: one form, shared fields (identifier, CSRF) once, then each method.
    repeat = shared if kind.form_per_group else []
    active = (active or flow.get("active")) if kind.form_per_group else None
    sections = [Section(grp, titles.get(grp) or str(grp).replace("_", " ").capitalize(),
                        repeat + [n for n in nodes if n.get("group") == grp],
                        messages if grp == active else [])
                for grp in groups]
    if not kind.form_per_group and shared:
        sections.insert(0, Section("default", None, shared))
    return ([] if active in groups else messages), sections


def render_flow(kind: FlowKind, flow: dict, *, status: int = 200, notice: str | None = None,
                active: str | None = None):
    return_to = safe_return_to(flow.get("return_to"))
    action_args = {"flow": flow["id"]}
    if return_to:
        action_args["return_to"] = return_to
    title, lead, lead_account, sign_out_offer = kind.title, None, None, None
    refresh = kind.name == "login" and bool(flow.get("refresh")) and g.session is not None
    second_factor = kind.name == "login" and flow.get("requested_aal") == "aal2"
    if refresh:
        title, lead = "Confirm it's you", "To continue, please confirm it's you by signing in again as"
        lead_account = identity_label(g.session)
        sign_out_offer = f"Not {lead_account}?"
        fill_refresh_identifier(flow, lead_account)
    elif kind.name == "registration" and (carried := hidden_traits(flow)):
        # Step two of registration: the details from step one travel as hidden fields.
        lead, lead_account = "Choose how you will sign in as", ", ".join(carried)
    elif second_factor:
        title = "Second factor"
        lead = "Your account has a second factor. Use it to finish signing in."
        sign_out_offer = "Can't use your second factor?"
    pass_on = {"return_to": return_to} if return_to else {}
    links = [] if sign_out_offer else [(url_for(endpoint, **pass_on), label) for endpoint, label in kind.links]
    if kind.name == "verification" and g.session is not None and flow.get("state") != "passed_challenge":
        links.append((return_to or url_for("pages.home"), "Skip for now"))
    messages, sections = ui_sections(kind, flow, active)
    nodes = (flow.get("ui") or {}).get("nodes") or []
    return render_template(
        "flow.html", kind=kind, flow=flow, notice=notice, links=links, messages=messages,
        sections=sections, title=title, lead=lead, lead_account=lead_account, sign_out_offer=sign_out_offer,
        uses_webauthn=any(n.get("type") == "script" for n in nodes),
        form_action=url_for(f"flows.{kind.name}", **action_args),
        reauthenticate_url=url_for("flows.login", refresh="true", return_to=url_for(
            "flows.settings", _external=True)) if kind.name == "settings" else None,
    ), status


def hidden_traits(flow: dict) -> list[str]:
    """Values of traits the flow carries as hidden inputs (registration's second step)."""
    values = []
    for node in (flow.get("ui") or {}).get("nodes") or []:
        attrs = node.get("attributes") or {}
        if attrs.get("type") == "hidden" and str(attrs.get("name", "")).startswith("traits.") and attrs.get("value"):
            values.append(str(attrs["value"]))
    return values


def fill_refresh_identifier(flow: dict, identifier: str) -> None:
    """A refresh login is for the signed-in account. With passwordless codes enabled,
    Kratos 1.3.1 sends the identifier empty and visible, so fill it in and hide it, as
    Kratos itself does without codes."""
    for node in (flow.get("ui") or {}).get("nodes") or []:
        attrs = node.get("attributes") or {}
        if attrs.get("name") == "identifier" and not attrs.get("value"):
            attrs.update(value=identifier, type="hidden")


def continue_with_target(body: Any) -> str | None:
    """The next page Kratos's continue_with names, if any."""
    items = body.get("continue_with") if isinstance(body, dict) else None
    by_action = {item.get("action"): item for item in items or [] if isinstance(item, dict)}
    for action in CONTINUE_ORDER:
        item = by_action.get(action)
        if item:
            url = item.get("redirect_browser_to") or (item.get("flow") or {}).get("url")
            if url:
                return url
    return None


def _is_this_flow_page(url: str, flow: dict) -> bool:
    return parse_qs(urlsplit(url).query).get("flow") == [flow.get("id")]


def respond(kind: FlowKind, outcome: Any, submitted: MultiDict | None = None):
    """Turn an interpreted Kratos answer into the page or redirect the user gets."""
    if isinstance(outcome, ShowFlow):
        flow = outcome.flow
        if kind.name == "login" and submitted is not None and _has_message(flow, ADDRESS_NOT_VERIFIED):
            return start_verification(submitted.get("identifier", ""))
        next_url = continue_with_target(flow)
        if next_url and not _is_this_flow_page(next_url, flow):
            return redirect_to(next_url)
        # Settings forms name their section in their action (Kratos never sees it), so
        # its message lands there whichever button, or script, submitted the form.
        return render_flow(kind, flow, status=400 if outcome.invalid else 200,
                           active=request.args.get("section") if submitted is not None else None)
    if isinstance(outcome, Success):
        return redirect_to(continue_with_target(outcome.body) or request.args.get("return_to"))
    if isinstance(outcome, NewFlow):
        if submitted is None:
            # A stale link: start over at Kratos, keeping where the user was headed.
            return redirect(init_url(kind, init_params(kind, request.args)), code=303)
        return restart_with_notice(kind, outcome, submitted)
    if isinstance(outcome, Redirect):
        return redirect_to(outcome.url)
    if isinstance(outcome, SignInRequired):
        return sign_in_redirect()
    if isinstance(outcome, AlreadySignedIn):
        return signed_in_redirect(kind)
    if isinstance(outcome, Failure):
        return render_failure(outcome)
    raise TypeError(f"unhandled outcome {type(outcome).__name__}")


def _has_message(flow: dict, message_id: int) -> bool:
    return any(m.get("id") == message_id for m in (flow.get("ui") or {}).get("messages") or [])


def signed_in_redirect(kind: FlowKind):
    if kind.when_signed_in in (None, "return_to"):
        return redirect_to(request.args.get("return_to"))
    return_to = safe_return_to(request.args.get("return_to"))
    return redirect(url_for(kind.when_signed_in, **({"return_to": return_to} if return_to else {})), code=303)


def start_verification(address: str):
    """Sign-in refused an unverified address: send it a code and show the verification form.

    Everything the user then reads comes from Kratos's verification flow, not from
    a message this UI could be tricked into showing.
    """
    return_to = url_for("flows.login", _external=True, **init_params(FLOWS["login"], request.args))
    outcome = outcomes.interpret(kratos().create_browser_flow("verification", {"return_to": return_to}))
    if not isinstance(outcome, ShowFlow):
        return respond(FLOWS["verification"], outcome)
    flow = outcome.flow
    csrf = next(((n.get("attributes") or {}).get("value") for n in (flow.get("ui") or {}).get("nodes") or []
                 if (n.get("attributes") or {}).get("name") == "csrf_token"), "")
    if address:
        sent = outcomes.interpret(kratos().submit_flow("verification", flow["id"], [
            ("csrf_token", csrf), ("email", address), ("method", "code")]))
        if isinstance(sent, Failure):
            return render_failure(sent)
    return redirect(url_for("flows.verification", flow=flow["id"]), code=303)


def restart_with_notice(kind: FlowKind, outcome: NewFlow, submitted: MultiDict):
    """Replace a dead flow server-side and show it with what the user typed."""
    if outcome.flow_id:
        answer = kratos().get_flow(kind.name, outcome.flow_id)
    else:
        answer = kratos().create_browser_flow(kind.name, init_params(kind, request.args))
    fresh = outcomes.interpret(answer)
    if isinstance(fresh, ShowFlow):
        notice = dict(kind.notices).get(outcome.reason) or NOTICES[outcome.reason]
        return render_flow(kind, prefill(fresh.flow, submitted), notice=notice)
    return respond(kind, fresh)  # no `submitted`: cannot loop


def too_many_attempts(kind: FlowKind, flow_id: str, wait: int):
    """Over a rate limit: the same flow again (fetched, not submitted), with what was typed."""
    fresh = outcomes.interpret(kratos().get_flow(kind.name, flow_id))
    page = render_flow(kind, prefill(fresh.flow, request.form), notice=limits.message(wait)) \
        if isinstance(fresh, ShowFlow) else None
    return limits.too_many(page, wait)


def flow_view(kind: FlowKind):
    def view():
        if kind.requires_session and g.session is None:
            return sign_in_redirect()
        flow_id = request.args.get("flow")
        if request.method == "POST":
            if not is_kratos_id(flow_id):
                return restart_with_notice(kind, NewFlow(outcomes.RESTART), request.form)
            if (wait := limits.check(kind.name, flow_id, request.form)) is not None:
                return too_many_attempts(kind, flow_id, wait)
            answer = kratos().submit_flow(kind.name, flow_id, list(request.form.items(multi=True)))
            return respond(kind, outcomes.interpret(answer), submitted=request.form)
        if not is_kratos_id(flow_id):
            params = init_params(kind, request.args)
            if not flow_id and g.session is not None and kind.when_signed_in and set(params) <= {"return_to"}:
                # Nothing to do at Kratos (no refresh, aal or login_challenge).
                return signed_in_redirect(kind)
            return redirect(init_url(kind, params), code=303)
        return respond(kind, outcomes.interpret(kratos().get_flow(kind.name, flow_id)))

    view.__name__ = kind.name
    return view


for _kind in FLOWS.values():
    bp.add_url_rule(f"/{_kind.name}", endpoint=_kind.name, view_func=flow_view(_kind),
                    methods=["GET", "POST"])
