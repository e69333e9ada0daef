"""Template globals and filters for rendering Kratos UI nodes."""

from __future__ import annotations

import json
from datetime import datetime

from flask import g
from jinja2 import Undefined

from .auth import identity_label
from .security import csp_nonce, trusted_script


def node_value(value) -> str:
    """Kratos node values are JSON; render booleans and numbers as JSON does."""
    if value is None or isinstance(value, Undefined):
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def when(timestamp: str | None) -> str:
    """Kratos's RFC 3339 timestamps, shown to the minute in UTC."""
    if not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def register(app) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["node_value"] = node_value
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["trusted_script"] = trusted_script
    app.jinja_env.globals["identity_label"] = identity_label
    app.jinja_env.globals["current_session"] = lambda: g.get("session")
