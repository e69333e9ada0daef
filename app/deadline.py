"""By when a request's calls to Ory must end: KRATOS_TIMEOUT after it arrived.

Arrival is a trusted proxy's `X-Request-Start: t=<epoch seconds>` (nginx's `t=${msec}`), so
time spent queueing for a server thread counts; else the moment the app first sees the request.
"""

from __future__ import annotations

import logging
import math
import re
import time

from flask import Flask, current_app, request

from . import current
from .kratos import RequestScope
from .logs import request_id

log = logging.getLogger(__name__)

HEADER = "X-Request-Start"
_START = re.compile(r"t=(\d{1,12}(?:\.\d{1,6})?)")
# A proxy's clock may run a little ahead of ours; anything further off is not believed.
AHEAD = 1.0
OLDEST = 60.0


def arrived(offered: str | None, trusted: bool, *, wall: float, monotonic: float) -> float:
    """The request's arrival on the monotonic clock, given both clocks' time now: the proxy's
    X-Request-Start when it is trusted and plausible, else now."""
    match = _START.fullmatch(offered.strip()) if trusted and offered else None
    if match is None:
        return monotonic
    waited = wall - float(match.group(1))
    if not math.isfinite(waited) or not -AHEAD <= waited <= OLDEST:
        return monotonic
    return monotonic - max(waited, 0.0)


def request_scope() -> RequestScope:
    """What this request's calls to Kratos and Hydra carry: its id and its deadline (none outside a request)."""
    this = current.request_or_none()
    if this is None:
        return RequestScope()
    # On the request's environ, not `g`: an app context can outlive one request.
    scope: RequestScope | None = this.environ.get("ui.ory_scope")
    if scope is None:
        settings = current_app.config["SETTINGS"]
        now = time.monotonic()
        start = arrived(request.headers.get(HEADER), settings.trusted_proxies > 0, wall=time.time(), monotonic=now)
        if now - start > settings.kratos_timeout:
            # Queued that long, or the proxy's clock runs behind this one's (they must agree: NTP).
            log.warning("%s says the request waited %.1f s before the app saw it", HEADER, now - start)
        scope = request.environ["ui.ory_scope"] = RequestScope(request_id(), start + settings.kratos_timeout)
    return scope


def init_app(app: Flask) -> None:
    """Register before every other hook: without the proxy's header, arrival is when it runs."""
    app.before_request(_start)


def _start() -> None:
    request_scope()
