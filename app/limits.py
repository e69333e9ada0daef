"""What one request may cost: its body size, and how often a form may be submitted.

Open-source Kratos has no rate limit (kratos#654). The UI sees every form
submission, so it counts them before they reach Kratos, per client IP (as
TRUSTED_PROXIES resolves it) and per identifier (the account the form names).

The `limits` library (the engine of Flask-Limiter) provides the storage
(RATE_LIMIT_STORAGE_URI: memory://, redis://, ...) and the moving-window strategy,
which does all the counting. Flask-Limiter's own extension is not used: its
request hooks would run on every request (about 15% of a page's time) for
limits that are all applied here. The flow view
calls `check()` once per submission rather than decorating routes: the keys come
from the submitted form, and over the limit the same flow is shown again with
what was typed, which only the flow view can render.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, make_response, render_template, request
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

import limits

from .config import RATE_LIMITS, ConfigError, Settings
from .i18n import gettext, ngettext

log = logging.getLogger(__name__)

# Fields holding a one-time code or a second factor.
CODE_FIELDS = ("code", "totp_code", "lookup_secret")
ACTIONS = ("SIGN_IN", "REGISTRATION", "EMAIL", "CODE")


@dataclass(frozen=True)
class RateLimits:
    strategy: RateLimiter
    # action -> (limits per identifier, limits per IP)
    items: dict[str, tuple[list[limits.RateLimitItem], list[limits.RateLimitItem]]]
    # Counts in this process while the shared store cannot be reached.
    fallback: RateLimiter


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.before_request(reject_oversized)
    try:
        strategy = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage_uri))
    except Exception as exc:  # e.g. redis:// without the redis package
        raise ConfigError(f"RATE_LIMIT_STORAGE_URI cannot be used: {_safe_reason(exc, settings)}") from None
    table = {**RATE_LIMITS, **dict(settings.rate_limits)}
    items = {
        action: (limits.parse_many(table[f"RATE_LIMIT_{action}"]), limits.parse_many(table[f"RATE_LIMIT_{action}_IP"]))
        for action in ACTIONS
    }
    app.extensions["rate_limits"] = RateLimits(strategy, items, MovingWindowRateLimiter(MemoryStorage()))


def _safe_reason(exc: Exception, settings: Settings) -> str:
    """The first line of the error, unless it repeats the URI or its password."""
    reason = (str(exc).splitlines() or [""])[0]
    uri = settings.rate_limit_storage_uri
    secret = urlsplit(uri).password
    if not reason or uri in reason or (secret and secret in reason):
        return type(exc).__name__
    return reason


def reject_oversized() -> None:
    """A body over MAX_CONTENT_LENGTH gets the 413 page before anything else runs.

    Flask refuses it too when the form is read, but only after the session lookup."""
    size = request.content_length
    if size is not None and size > current_app.config["MAX_CONTENT_LENGTH"]:
        abort(413)


# -- rate limits ---------------------------------------------------------------


def normalise(identifier: str) -> str:
    """As Kratos compares identifiers: trimmed, lower case."""
    return identifier.strip().lower()


@dataclass(frozen=True)
class Limited:
    """How a flow's submissions are counted (each FlowKind says, in its `limited`)."""

    # The field that names the account.
    identifier_field: str
    # The action every submission counts as (RATE_LIMIT_<ACTION>[_IP]); None: only an email
    # request (EMAIL) or a code (CODE) counts.
    action: str | None = None


def counted(limited: Limited | None, flow_id: str, form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The (action, whom) pairs a submission counts against; a flow without `limited` counts none."""
    if limited is None:
        return []
    field = limited.identifier_field
    typed = normalise(form.get(field, ""))
    has_code = any(form.get(name) for name in CODE_FIELDS)
    # No identifier in the form (a second factor, a recovery code): the Kratos
    # session owing the second factor, else the flow, which belongs to one address.
    cookie = request.cookies.get(current_app.config["SETTINGS"].session_cookie_name, "")
    whom = typed or (f"session:{cookie}" if cookie else f"flow:{flow_id}")
    actions = [limited.action] if limited.action else ["EMAIL"] if typed and not has_code else []
    if has_code:
        actions.append("CODE")
    # Hashed: the store never holds addresses or cookies.
    digest = hashlib.sha256(whom.encode()).hexdigest()[:32]
    return [(action, digest) for action in actions]


class Counted(NamedTuple):
    item: limits.RateLimitItem
    keys: tuple[str, ...]
    action: str
    per: str  # "identifier" or "IP", for the log


def check(limited: Limited | None, flow_id: str, form: MultiDict[str, str]) -> int | None:
    """Count this submission; None if it may go to Kratos, else the seconds to wait.

    A refused submission is not counted."""
    pairs = counted(limited, flow_id, form)
    if not pairs:
        return None
    state: RateLimits = current_app.extensions["rate_limits"]
    ip = request.remote_addr or "unknown"
    entries = []
    for action, whom in pairs:
        per_identifier, per_ip = state.items[action]
        entries += [Counted(item, ("kratos-ui", action, "id", whom), action, "identifier") for item in per_identifier]
        entries += [Counted(item, ("kratos-ui", action, "ip", ip), action, "IP") for item in per_ip]
    try:
        return _count(state.strategy, entries)
    except Exception as exc:  # the shared store is down: this process keeps counting meanwhile
        log.error("rate-limit store failed (%s); counting in this process", type(exc).__name__)
        return _count(state.fallback, entries)


def _count(strategy: RateLimiter, entries: list[Counted]) -> int | None:
    full = [e for e in entries if not strategy.test(e.item, *e.keys)]
    if not full:
        # Count it everywhere; a concurrent request may have taken a last slot meanwhile.
        full = [e for e in entries if not strategy.hit(e.item, *e.keys)]
    if not full:
        return None
    for entry in full:
        log.warning("rate limit reached: %s per %s", entry.action.lower(), entry.per)
    reset = max(strategy.get_window_stats(e.item, *e.keys).reset_time for e in full)
    return max(1, math.ceil(reset - time.time()))


def message(wait: int) -> str:
    if wait < 60:
        return str(
            ngettext(
                "Too many attempts. Try again in about %(num)s second.",
                "Too many attempts. Try again in about %(num)s seconds.",
                wait,
            )
        )
    return str(
        ngettext(
            "Too many attempts. Try again in about %(num)s minute.",
            "Too many attempts. Try again in about %(num)s minutes.",
            math.ceil(wait / 60),
        )
    )


def too_many(page: tuple[str, int] | None, wait: int) -> Response:
    """The 429 answer: `page` (the flow shown again), or the error page without one."""
    response = make_response(
        page
        if page is not None
        else render_template("error.html", title=gettext("Too many attempts"), message=message(wait), status=429)
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
