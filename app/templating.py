"""Template globals and filters for rendering Kratos UI nodes."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, g
from jinja2 import Undefined
from markupsafe import Markup, escape

from .auth import identity_label, rule
from .redirects import refused
from .security import csp_nonce, trusted_script


def node_value(value: Any) -> str:
    """Kratos node values are JSON; render booleans and numbers as JSON does."""
    if value is None or isinstance(value, Undefined):
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def html_attrs(attributes: dict[str, Any]) -> Markup:
    """` name="value"` for each attribute, escaped; True is a bare boolean attribute and
    None, False, "" and undefined are left out (so no attribute is ever glued to another)."""
    parts = []
    for name, value in attributes.items():
        if value is None or value is False or value == "" or isinstance(value, Undefined):
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(node_value(value))}"')
    return Markup("".join(parts))


def issued_link(url: Any) -> str | None:
    """A link from Kratos data (an `a` node), through the redirect rule; a bad one is dropped."""
    checked = rule().from_ory(url if isinstance(url, str) else None)
    if url and checked is None:
        refused("Kratos link")
    return checked


def image_source(url: Any) -> str | None:
    """An image from Kratos data (the TOTP QR code), through the same rule."""
    checked = rule().image_source(url if isinstance(url, str) else None)
    if url and checked is None:
        refused("Kratos image")
    return checked


def register(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        node_value=node_value, attrs=html_attrs, issued_link=issued_link, image_source=image_source
    )
    app.jinja_env.globals.update(csp_nonce=csp_nonce, trusted_script=trusted_script, identity_label=identity_label)

    @app.context_processor
    def signed_in() -> dict[str, Any]:
        return {"identity_session": g.get("identity_session"), "session_redirect": g.get("session_redirect")}
