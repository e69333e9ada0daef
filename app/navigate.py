"""Redirect responses, each through the rule for where its URL came from (app/redirects.py)."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from .auth import rule
from .redirects import refused


def to_return_to(url: str | None, fallback: str = "/") -> Response:
    """To a `return_to` the browser sent, if the rule allows it; else to `fallback`."""
    target = rule().from_browser(url)
    if url and target is None:
        refused("browser-supplied")
    return redirect(target or fallback, code=303)


def to_issued(url: str | None, fallback: str = "/") -> Response:
    """To a URL that Kratos or Hydra issued, if the rule allows it; else to `fallback`.

    After a form post, Chrome checks every redirect against the posting page's CSP
    form-action. A target outside that list (an OIDC provider, say) is reached through a
    page of our own that moves on by itself, which starts a new navigation.
    """
    target = rule().from_ory(url)
    if target is None:
        if url:
            refused("server-issued")
        return redirect(fallback, code=303)
    if request.method == "POST" and not rule().within_form_action(target):
        # werkzeug's Response would say text/plain, and a browser would show the markup as text.
        return Response(render_template("continue.html", target=target), 200, mimetype="text/html")
    return redirect(target, code=303)
