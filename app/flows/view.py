"""The generic flow view: every flow is rendered and submitted through here.

GET  /<flow>            -> start a browser flow at Kratos (it redirects back here)
GET  /<flow>?flow=ID    -> fetch and render the flow
POST /<flow>?flow=ID    -> submit the form to Kratos and act on its answer

Flows differ only in their FlowKind: data and hooks (one small module per flow).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from .. import limits, outcomes
from ..auth import browser, kratos, rule, sign_in_redirect
from ..errors import render_failure
from ..i18n import _l
from ..kratos import is_kratos_id
from ..navigate import to_issued, to_return_to
from ..outcomes import (
    AlreadySignedIn,
    Failure,
    Flow,
    NewFlow,
    Outcome,
    Reason,
    Redirect,
    ShowFlow,
    SignInRequired,
    Success,
)
from ..templating import DESTRUCTIVE
from .kind import FlowKind, Page, View

log = logging.getLogger(__name__)

# Never copied back into a restarted form: secrets, one-time codes and controls.
_NOT_PREFILLED_TYPES = {"password", "hidden", "submit", "button"}
_NOT_PREFILLED_NAMES = {"csrf_token", "code", "totp_code", "lookup_secret"}

NOTICES = {
    Reason.EXPIRED: _l("That form had expired, so we started a new one. Please check your details and try again."),
    Reason.CSRF: _l(
        "For your security we could not accept that form (it may have been open in another tab). Please try again."
    ),
    Reason.RESTART: _l("That form is no longer valid, so we started a new one."),
}

# Where Kratos's continue_with sends the user next, most specific first.
CONTINUE_ORDER = ("show_verification_ui", "show_settings_ui", "show_recovery_ui", "redirect_browser_to")


@dataclass
class Section:
    group: str | None
    title: str | None
    nodes: list[dict[str, Any]]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        """Whether anything here shows (a section of only hidden inputs and scripts gets no title)."""
        return any(
            n.get("type") != "script" and (n.get("attributes") or {}).get("type") != "hidden" for n in self.nodes
        )

    @property
    def is_form(self) -> bool:
        """Whether it has anything to submit (Kratos's script node alone needs no form)."""
        return any(
            n.get("type") == "input" and (n.get("attributes") or {}).get("type") in ("submit", "button")
            for n in self.nodes
        )

    @property
    def ordered_nodes(self) -> list[dict[str, Any]]:
        """The nodes, confirmed removals last (a stable sort): Enter in a field never reaches them."""
        return sorted(self.nodes, key=lambda n: (n.get("attributes") or {}).get("name") in DESTRUCTIVE)

    @property
    def first_field(self) -> dict[str, Any] | None:
        """The first field a person types in, for the error summary to point at."""
        return next(
            (
                n
                for n in self.nodes
                if n.get("type") == "input"
                and (n.get("attributes") or {}).get("type") not in ("hidden", "submit", "button")
            ),
            None,
        )

    @property
    def errors(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(node, message) for each error on a field here, in page order."""
        return [(n, m) for n in self.nodes for m in n.get("messages") or [] if m.get("type") == "error"]


def init_params(kind: FlowKind, args: MultiDict[str, str]) -> dict[str, Any]:
    """The query parameters passed on to Kratos when starting `kind`; an untrusted return_to is dropped."""
    params = {key: args[key] for key in kind.init_params if args.get(key)}
    if "return_to" in params:
        checked = rule().from_browser(params["return_to"])
        if checked:
            params["return_to"] = checked
        else:
            del params["return_to"]
    return params


def init_url(kind: FlowKind, params: dict[str, Any]) -> str:
    """Kratos's browser endpoint that starts `kind` with `params` (see init_params)."""
    base = current_app.config["SETTINGS"].kratos_browser_url
    query = ("?" + urlencode(params)) if params else ""
    return f"{base}/self-service/{kind.name}/browser{query}"


def prefill(flow: Flow, form: MultiDict[str, str]) -> Flow:
    """Copy what the user typed (never secrets) into a fresh flow's inputs."""
    for _node, attrs in flow.inputs():
        name = str(attrs.get("name"))
        if name in form and name not in _NOT_PREFILLED_NAMES and attrs.get("type") not in _NOT_PREFILLED_TYPES:
            attrs["value"] = form.get(name)
    return flow


def _is_hidden(node: dict[str, Any]) -> bool:
    return (node.get("attributes") or {}).get("type") == "hidden"


def _is_step_button(node: dict[str, Any]) -> bool:
    return (node.get("attributes") or {}).get("name") == "screen"


def ui_sections(kind: FlowKind, flow: Flow, active: str | None = None) -> tuple[list[dict[str, Any]], list[Section]]:
    """(messages for the top of the page, one form per method group).

    Each method is its own form, so Enter submits the method whose field the user is in.
    Each form repeats the shared (default group) nodes it needs: the CSRF token and hidden
    values always, the visible ones (the identifier) unless the kind says the method needs
    none. Flow messages go into the `active` group's section (the one just submitted)."""
    nodes, messages = flow.nodes, flow.messages
    titles = dict(kind.groups)
    order = list(titles)
    shared = [n for n in nodes if n.get("group") == "default"]
    groups = list(dict.fromkeys(str(n.get("group")) for n in nodes if n.get("group") != "default"))
    groups.sort(key=lambda grp: order.index(grp) if grp in order else len(order))
    active = active or flow.get("active")
    sections = []
    for grp in groups:
        own = [n for n in nodes if n.get("group") == grp]
        repeated = [n for n in shared if _is_hidden(n) or grp not in kind.without_shared_fields]
        if not Section(grp, None, own).is_form:
            repeated = []  # Kratos's script alone: no form, so nothing shared to carry
        # A kind may title a group "" (the page's only method needs no heading).
        title: str | None = titles[grp] if grp in titles else grp.replace("_", " ").capitalize()
        if all(_is_step_button(n) for n in own):
            title = None  # registration's "Back" is a button, not a method
        sections.append(Section(grp, title, repeated + own, messages if grp == active else []))
    if not groups and shared:
        sections.append(Section("default", None, shared))
    return ([] if active in groups else messages), sections


def render_flow(
    kind: FlowKind, flow: Flow, *, status: int = 200, notice: str | None = None, active: str | None = None
) -> tuple[str, int]:
    return_to = rule().from_browser(flow.get("return_to"))
    pass_on: dict[str, Any] = {"return_to": return_to} if return_to else {}
    page = Page(
        title=kind.title,
        return_to=return_to,
        links=[(url_for(endpoint, **pass_on), label) for endpoint, label in kind.links],
    )
    if kind.page:
        kind.page(flow, page)
    if page.sign_out_offer:
        page.links = []
    messages, sections = ui_sections(kind, flow, active)
    if page.only_groups is not None:
        sections = [section for section in sections if section.group in page.only_groups]
    has_error = outcomes.any_error(messages) or any(
        section.errors or outcomes.any_error(section.messages) for section in sections
    )
    return render_template(
        "flow.html",
        kind=kind,
        flow=flow,
        page=page,
        notice=notice,
        messages=messages,
        sections=sections,
        has_error=has_error,
        uses_webauthn=any(n.get("type") == "script" for n in flow.nodes),
        uses_password=any(attrs.get("type") == "password" for _, attrs in flow.inputs()),
        form_action=url_for(f"flows.{kind.name}", flow=flow.id, **pass_on),
    ), status


def continue_with_target(body: Any) -> str | None:
    """The next page Kratos's continue_with names, if any."""
    items = body.get("continue_with") if isinstance(body, dict) else None
    by_action = {item.get("action"): item for item in items or [] if isinstance(item, dict)}
    for action in CONTINUE_ORDER:
        item = by_action.get(action)
        if item:
            url = item.get("redirect_browser_to") or (item.get("flow") or {}).get("url")
            if isinstance(url, str) and url:
                return url
    return None


def _is_this_flow_page(url: str, flow: Flow) -> bool:
    return parse_qs(urlsplit(url).query).get("flow") == [flow.id]


def signed_in_redirect(kind: FlowKind) -> Response:
    if kind.when_signed_in:
        return kind.when_signed_in()
    return to_return_to(request.args.get("return_to"))


def respond(kind: FlowKind, outcome: Outcome, submitted: MultiDict[str, str] | None = None) -> View:
    """Turn an interpreted Kratos answer into the page or redirect the user gets."""
    match outcome:
        case ShowFlow(flow=flow, invalid=invalid):
            if submitted is not None and kind.after_submit and (replaced := kind.after_submit(flow, submitted)):
                return replaced
            next_url = continue_with_target(flow.data)
            if next_url and not _is_this_flow_page(next_url, flow):
                return to_issued(next_url)
            # Each form names its section in its action (Kratos never sees it), so the
            # message lands there whichever button, or script, submitted the form.
            return render_flow(
                kind,
                flow,
                status=400 if invalid else 200,
                active=request.args.get("section") if submitted is not None else None,
            )
        case Success(body=body):
            if submitted is not None and kind.after_success and (replaced := kind.after_success(body)):
                return replaced
            issued = continue_with_target(body)
            return to_issued(issued) if issued else to_return_to(request.args.get("return_to"))
        case NewFlow() if submitted is None:
            # A stale link: start over at Kratos, keeping where the user was headed.
            return redirect(init_url(kind, init_params(kind, request.args)), code=303)
        case NewFlow():
            assert submitted is not None
            return restart_with_notice(kind, outcome, submitted)
        case Redirect(url=url):
            return to_issued(url)
        case SignInRequired():
            return sign_in_redirect()
        case AlreadySignedIn():
            return signed_in_redirect(kind)
        case Failure():
            return render_failure(outcome)


def restart_with_notice(kind: FlowKind, outcome: NewFlow, submitted: MultiDict[str, str]) -> View:
    """Replace a dead flow server-side and show it with what the user typed."""
    if outcome.flow_id:
        answer = kratos().get_flow(browser(), kind.name, outcome.flow_id)
    else:
        answer = kratos().create_browser_flow(browser(), kind.name, init_params(kind, request.args))
    fresh = outcomes.interpret(answer)
    if isinstance(fresh, ShowFlow):
        notice = dict(kind.notices).get(outcome.reason) or NOTICES[outcome.reason]
        return render_flow(kind, prefill(fresh.flow, submitted), notice=notice)
    return respond(kind, fresh)  # no `submitted`: cannot loop


def too_many_attempts(kind: FlowKind, flow_id: str, wait: int) -> View:
    """Over a rate limit: the same flow again (fetched, not submitted), with what was typed."""
    fresh = outcomes.interpret(kratos().get_flow(browser(), kind.name, flow_id))
    page = (
        render_flow(kind, prefill(fresh.flow, request.form), notice=limits.message(wait))
        if isinstance(fresh, ShowFlow)
        else None
    )
    return limits.too_many(page, wait)


def submit(kind: FlowKind, flow_id: str, form: MultiDict[str, str]) -> View:
    """Relay a form to Kratos as the browser sent it and act on the answer."""
    fields = list(form.items(multi=True))
    answer = kratos().submit_flow(browser(), kind.name, flow_id, fields)
    if outcomes.nothing_stored(answer):
        # Another request changed the same data at that moment; Kratos kept nothing. Once more,
        # so the person does not have to (a second refusal restarts the flow, as before).
        log.info("kratos refused a %s submission for a concurrent update; sending it again", kind.name)
        answer = kratos().submit_flow(browser(), kind.name, flow_id, fields)
    outcome = outcomes.interpret(answer)
    if kind.done_despite_not_found and outcome == NewFlow(Reason.RESTART):
        # Kratos v26 verifies the code, then fails to find what comes next (an OAuth2 sign-in
        # it had already handed on) and answers 404: the flow itself says it passed.
        again = outcomes.interpret(kratos().get_flow(browser(), kind.name, flow_id))
        if isinstance(again, ShowFlow) and again.flow.get("state") == "passed_challenge":
            return render_flow(kind, again.flow)
    return respond(kind, outcome, submitted=form)


def flow_view(kind: FlowKind) -> Callable[[], View]:
    def view() -> View:
        if kind.requires_session and g.identity_session is None:
            return sign_in_redirect()
        flow_id = request.args.get("flow")
        if request.method == "POST":
            if not flow_id or not is_kratos_id(flow_id):
                return restart_with_notice(kind, NewFlow(Reason.RESTART), request.form)
            if (wait := limits.check(kind.limited, flow_id, request.form)) is not None:
                return too_many_attempts(kind, flow_id, wait)
            return submit(kind, flow_id, request.form)
        if not flow_id or not is_kratos_id(flow_id):
            params = init_params(kind, request.args)
            if (
                not flow_id
                and g.identity_session is not None
                and kind.when_signed_in is not None
                and set(params) <= {"return_to"}
            ):
                # Nothing to do at Kratos (no refresh, aal or login_challenge).
                return signed_in_redirect(kind)
            return redirect(init_url(kind, params), code=303)
        started = kind.beside_fetch() if kind.beside_fetch else None
        try:
            return respond(kind, outcomes.interpret(kratos().get_flow(browser(), kind.name, flow_id)))
        finally:
            if started is not None:
                started.cancel()  # still queued: the page did not need it (a redirect, an error)

    view.__name__ = kind.name
    return view
