"""This request's Flask objects, read from the context variables Flask's own proxies read.

`request`, `g` and `current_app` are proxies: each lookup through one costs about 1 µs, and a
settings page made ~150 of them (its strings, links, nonce, log fields). These give the very
objects the proxies resolve to (a test checks), for the code every page runs."""

from __future__ import annotations

from flask import Flask, Request, current_app, has_request_context
from flask import g as _g
from flask import request as _request
from flask.ctx import AppContext, _AppCtxGlobals

try:  # what has_request_context() and the proxies read, Flask 2.2 to 3.1
    from flask.globals import _cv_app, _cv_request
except ImportError:  # a Flask that keeps its contexts otherwise: its proxies, slower but the same
    _cv_app = _cv_request = None  # type: ignore[assignment]


def request_or_none() -> Request | None:
    if _cv_request is None:
        return _request._get_current_object() if has_request_context() else None
    context = _cv_request.get(None)
    return None if context is None else context.request


def request() -> Request:
    found = request_or_none()
    if found is None:
        raise RuntimeError("Working outside of request context.")
    return found


def _app_context() -> AppContext:
    context = _cv_app.get(None)
    if context is None:
        raise RuntimeError("Working outside of application context.")
    return context


def g() -> _AppCtxGlobals:
    return _g._get_current_object() if _cv_app is None else _app_context().g


def app() -> Flask:
    return current_app._get_current_object() if _cv_app is None else _app_context().app
