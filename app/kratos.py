"""All HTTP to Kratos goes through this module.

Browser-facing calls (flows, whoami, logout) use raw JSON over one pooled
`requests` adapter (keep-alive connections shared by all threads): each call
forwards the browser's Cookie, User-Agent and X-Forwarded-For, and hands every
`Set-Cookie` Kratos answers to the response going back to the browser. There is
no `requests.Session`, so no cookie jar that could carry one user's session to
the next, and no redirect following. Admin calls use
`ory-client`, with its host set, no retries and a timeout on every call.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Iterable

import requests
from flask import g, has_request_context, request
from requests.adapters import HTTPAdapter

from . import logs

log = logging.getLogger(__name__)

FLOW_KINDS = ("login", "registration", "settings", "recovery", "verification")


class KratosUnavailable(Exception):
    """Kratos could not be reached or did not answer in time."""


# Kratos's ids (flows, sessions, errors) are UUIDs; nothing else goes into a Kratos URL.
KRATOS_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_kratos_id(value: str | None) -> bool:
    return bool(value) and KRATOS_ID.fullmatch(value) is not None


@dataclass
class Answer:
    """What Kratos said: status and parsed JSON body (or None). Its Set-Cookies are already relayed."""

    status: int
    body: Any = None

    @property
    def error(self) -> dict:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"]
        return {}

    @property
    def error_id(self) -> str | None:
        return self.error.get("id")


def _browser_cookie_header() -> str:
    """The browser's Cookie header as it will be once this response's Set-Cookies land,
    so a second call in the same request (e.g. a flow created, then submitted) matches."""
    relayed = g.get("kratos_set_cookies") or []
    if not relayed:
        return request.headers.get("Cookie", "")
    jar = dict(request.cookies)
    for header in relayed:
        morsel = SimpleCookie()
        morsel.load(header)
        for name, cookie in morsel.items():
            if cookie["max-age"] == "0" or "1970" in cookie["expires"]:
                jar.pop(name, None)
            else:
                jar[name] = cookie.value
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def _forwarded_headers() -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if not has_request_context():
        return headers
    headers["X-Request-ID"] = logs.request_id()
    cookie = _browser_cookie_header()
    if cookie:
        headers["Cookie"] = cookie
    agent = request.headers.get("User-Agent")
    if agent:
        headers["User-Agent"] = agent
    # remote_addr is the browser's address (after TRUSTED_PROXIES hops); Kratos
    # records it on the session's device, so the session list shows the user's IP.
    if request.remote_addr:
        headers["X-Forwarded-For"] = request.remote_addr
    return headers


def _answer(status: int, content: bytes, what: str) -> Answer:
    """An Answer from a raw reply; `what` names the call (no query string) for the log."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if status >= 500:
        log.error("kratos %s answered %s", what, status)
    return Answer(status, body)


def relay_cookies(set_cookies: Iterable[str]) -> None:
    """Queue Set-Cookie headers for the response now being built (see app.create_app)."""
    if has_request_context():
        g.setdefault("kratos_set_cookies", []).extend(set_cookies)


class KratosClient:
    def __init__(self, public_url: str, admin_url: str, timeout: float, pool_size: int = 32):
        self.public_url = public_url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        # Sent through directly: a Session's per-call merging costs ~0.25 ms a call.
        self.adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._admin_api_client = None
        self._admin_lock = threading.Lock()

    # -- transport ---------------------------------------------------------

    def call(self, method: str, path: str, *, params: dict | None = None, form: Any = None) -> Answer:
        """One request to Kratos's public API, as the browser behind this request."""
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=self.public_url + path, params=params, data=form,
                         headers=_forwarded_headers())
        try:
            resp = self.adapter.send(prepared, timeout=self.timeout)
        except requests.RequestException as exc:
            # Only the path: the query may hold a logout token.
            log.warning("kratos %s %s failed: %s", method, path, type(exc).__name__)
            raise KratosUnavailable(f"{method} {path}") from None
        relay_cookies(resp.raw.headers.getlist("Set-Cookie") if resp.raw is not None else [])
        return _answer(resp.status_code, resp.content, f"{method} {path}")

    # -- browser-facing calls ----------------------------------------------

    def whoami(self) -> Answer:
        return self.call("GET", "/sessions/whoami")

    def create_browser_flow(self, kind: str, params: dict | None = None) -> Answer:
        return self.call("GET", f"/self-service/{kind}/browser", params=params)

    def get_flow(self, kind: str, flow_id: str) -> Answer:
        return self.call("GET", f"/self-service/{kind}/flows", params={"id": flow_id})

    def submit_flow(self, kind: str, flow_id: str, form: Any) -> Answer:
        # The browser's form is relayed as it came, so Kratos's schema-aware
        # decoder types the fields; Accept: application/json makes every
        # answer JSON instead of a redirect.
        return self.call("POST", f"/self-service/{kind}", params={"flow": flow_id}, form=form)

    def create_logout_flow(self) -> Answer:
        return self.call("GET", "/self-service/logout/browser")

    def perform_logout(self, token: str) -> Answer:
        return self.call("GET", "/self-service/logout", params={"token": token})

    def list_my_sessions(self) -> Answer:
        return self.call("GET", "/sessions")

    def revoke_my_session(self, session_id: str) -> Answer:
        return self.call("DELETE", f"/sessions/{session_id}")

    def revoke_my_other_sessions(self) -> Answer:
        return self.call("DELETE", "/sessions")

    def get_flow_error(self, error_id: str) -> Answer:
        return self.call("GET", "/self-service/errors", params={"id": error_id})

    # -- admin API (ory-client) --------------------------------------------

    def admin(self, api: str, method: str, *args, **kwargs) -> Answer:
        """Call an ory-client admin method, e.g. admin("IdentityApi", "extend_session", id).

        Every call gets this client's timeout. The raw JSON is read, as for browser
        calls: ory-client's models reject some Kratos error bodies.
        """
        import ory_client
        import urllib3

        with self._admin_lock:  # one client per process, however many threads ask at once
            if self._admin_api_client is None:
                configuration = ory_client.Configuration(host=self.admin_url)
                configuration.retries = 0  # urllib3's default 3 retries would quadruple every timeout
                self._admin_api_client = ory_client.ApiClient(configuration)
        endpoint = getattr(getattr(ory_client, api)(self._admin_api_client), f"{method}_without_preload_content")
        try:
            resp = endpoint(*args, _request_timeout=self.timeout, **kwargs)
        except urllib3.exceptions.HTTPError as exc:
            log.warning("kratos admin %s.%s failed: %s", api, method, type(exc).__name__)
            raise KratosUnavailable(f"admin {api}.{method}") from None
        return _answer(resp.status, resp.data, f"admin {api}.{method}")
