"""One generic view for every Kratos self-service flow.

GET  /<flow>            -> start a browser flow at Kratos (it redirects back here)
GET  /<flow>?flow=ID    -> fetch and render the flow
POST /<flow>?flow=ID    -> submit the form to Kratos and act on its answer
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from . import outcomes
from .auth import kratos
from .outcomes import (AlreadySignedIn, Failure, NewFlow, Redirect, ShowFlow, SignInRequired,
                       Success)
from .pages import render_failure
from .security import redirect_to, safe_return_to

bp = Blueprint("flows", __name__)

FLOW_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Inputs never copied back into a restarted form.
_NOT_PREFILLED = {"password", "hidden", "submit", "button"}


@dataclass(frozen=True)
class FlowKind:
    name: str
    title: str
    # Query parameters passed on to Kratos's /self-service/<name>/browser.
    init_params: tuple[str, ...]
    # Other flows linked from this page: (endpoint, label).
    links: tuple[tuple[str, str], ...] = ()


FLOWS = {
    "login": FlowKind("login", "Sign in", ("return_to", "refresh", "aal", "login_challenge"),
                      links=(("flows.registration", "Create an account"),)),
    "registration": FlowKind("registration", "Create an account", ("return_to", "login_challenge"),
                             links=(("flows.login", "Already have an account? Sign in"),)),
}


def init_params(kind: FlowKind, args) -> dict:
    """The query parameters passed on to Kratos when starting `kind`; an untrusted return_to is dropped."""
    params = {key: args[key] for key in kind.init_params if args.get(key)}
    if "return_to" in params and not safe_return_to(params["return_to"]):
        del params["return_to"]
    return params


def init_url(kind: FlowKind, args) -> str:
    """Kratos's browser endpoint that starts `kind`."""
    params = init_params(kind, args)
    base = current_app.config["SETTINGS"].kratos_browser_url
    query = ("?" + urlencode(params)) if params else ""
    return f"{base}/self-service/{kind.name}/browser{query}"


def prefill(flow: dict, form: MultiDict) -> dict:
    """Copy what the user typed (never secrets) into a fresh flow's inputs."""
    for node in flow.get("ui", {}).get("nodes", []):
        attrs = node.get("attributes", {})
        name = attrs.get("name")
        if (node.get("type") == "input" and name in form and name != "csrf_token"
                and attrs.get("type") not in _NOT_PREFILLED):
            attrs["value"] = form.get(name)
    return flow


def render_flow(kind: FlowKind, flow: dict, *, status: int = 200, notice: str | None = None):
    return_to = safe_return_to(flow.get("return_to"))
    action_args = {"flow": flow["id"]}
    if return_to:
        action_args["return_to"] = return_to
    links = [(url_for(endpoint, **({"return_to": return_to} if return_to else {})), label)
             for endpoint, label in kind.links]
    return render_template(
        "flow.html", kind=kind, flow=flow, notice=notice, links=links,
        form_action=url_for(f"flows.{kind.name}", **action_args),
    ), status


def next_url_after_success(body: Any) -> str | None:
    continue_with = body.get("continue_with") if isinstance(body, dict) else None
    for item in continue_with or []:
        if item.get("action") == "redirect_browser_to":
            return item.get("redirect_browser_to")
    return request.args.get("return_to")


def respond(kind: FlowKind, outcome: Any, submitted: MultiDict | None = None):
    """Turn an interpreted Kratos answer into the page or redirect the user gets."""
    if isinstance(outcome, ShowFlow):
        return render_flow(kind, outcome.flow, status=400 if outcome.invalid else 200)
    if isinstance(outcome, Success):
        return redirect_to(next_url_after_success(outcome.body))
    if isinstance(outcome, NewFlow):
        if submitted is None:
            # A stale link: start over at Kratos, keeping where the user was headed.
            return redirect(init_url(kind, request.args), code=303)
        return restart_with_notice(kind, outcome, submitted)
    if isinstance(outcome, Redirect):
        return redirect_to(outcome.url)
    if isinstance(outcome, SignInRequired):
        return redirect(url_for("flows.login", return_to=url_for(
            f"flows.{kind.name}", _external=True)), code=303)
    if isinstance(outcome, AlreadySignedIn):
        return redirect_to(request.args.get("return_to"))
    if isinstance(outcome, Failure):
        return render_failure(outcome)
    raise TypeError(f"unhandled outcome {type(outcome).__name__}")


def restart_with_notice(kind: FlowKind, outcome: NewFlow, submitted: MultiDict):
    """Replace a dead flow server-side and show it with what the user typed."""
    if outcome.flow_id:
        answer = kratos().get_flow(kind.name, outcome.flow_id)
    else:
        answer = kratos().create_browser_flow(kind.name, init_params(kind, request.args))
    fresh = outcomes.interpret(answer)
    if isinstance(fresh, ShowFlow):
        return render_flow(kind, prefill(fresh.flow, submitted), notice=outcome.notice)
    return respond(kind, fresh)  # no `submitted`: cannot loop


def flow_view(kind: FlowKind):
    def view():
        flow_id = request.args.get("flow")
        if request.method == "POST":
            if not flow_id or not FLOW_ID.fullmatch(flow_id):
                return restart_with_notice(kind, NewFlow(outcomes.NOTICE_RESTART), request.form)
            answer = kratos().submit_flow(kind.name, flow_id, list(request.form.items(multi=True)))
            return respond(kind, outcomes.interpret(answer), submitted=request.form)
        if not flow_id:
            if g.session is not None and kind.name in ("login", "registration") \
                    and set(init_params(kind, request.args)) <= {"return_to"}:
                # Nothing to do at Kratos (no refresh, aal or login_challenge): go on.
                return redirect_to(request.args.get("return_to"))
            return redirect(init_url(kind, request.args), code=303)
        if not FLOW_ID.fullmatch(flow_id):
            return redirect(init_url(kind, request.args), code=303)
        return respond(kind, outcomes.interpret(kratos().get_flow(kind.name, flow_id)))

    view.__name__ = kind.name
    return view


for _kind in FLOWS.values():
    bp.add_url_rule(f"/{_kind.name}", endpoint=_kind.name, view_func=flow_view(_kind),
                    methods=["GET", "POST"])
