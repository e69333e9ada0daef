"""This request's Flask objects, read from the context variables Flask's own proxies read.

`request`, `g` and `current_app` are proxies: each lookup through one costs about 1 µs, and a
settings page made ~150 of them (its strings, links, nonce, log fields). These give the very
objects the proxies resolve to (a test checks), for the code every page runs."""

from __future__ import annotations

from flask import Flask, Request
from flask.ctx import _AppCtxGlobals
from flask.globals import _cv_app, _cv_request  # what has_request_context() and the proxies read


def request_or_none() -> Request | None:
    context = _cv_request.get(None)
    return None if context is None else context.request


def request() -> Request:
    context = _cv_request.get(None)
    if context is None:
        raise RuntimeError("Working outside of request context.")
    return context.request


def g() -> _AppCtxGlobals:
    context = _cv_app.get(None)
    if context is None:
        raise RuntimeError("Working outside of application context.")
    return context.g


def app() -> Flask:
    context = _cv_app.get(None)
    if context is None:
        raise RuntimeError("Working outside of application context.")
    return context.app
