"""All HTTP to Ory's servers goes through this module.

Browser-facing Kratos calls (flows, whoami, logout) use raw JSON over one pooled
`requests` adapter (keep-alive connections shared by all threads): each call takes a
`Browser`, forwards its Cookie, User-Agent, X-Forwarded-For and request id, and
collects every `Set-Cookie` Kratos answers for the response going back to it. There
is no `requests.Session`, so no cookie jar that could carry one user's session to the
next, and no redirect following. The two Kratos admin calls made while serving pages
(an identity's credential dates, a session's extend) go over the same pool: importing
`ory-client` alone costs a worker about 49 MB. Hydra's admin calls use `ory-client` through
`OryAdmin`: host set, no retries and a timeout on every call. Every call
made for one incoming request carries its `RequestScope`: its id, and a deadline no call
waits past.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import urlencode

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util import Timeout

log = logging.getLogger(__name__)


class KratosUnavailable(Exception):
    """Kratos (or Hydra) could not be reached or did not answer in time."""


# Kratos's ids (flows, sessions, errors) are UUIDs; nothing else goes into a Kratos URL.
KRATOS_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_kratos_id(value: str | None) -> bool:
    return value is not None and KRATOS_ID.fullmatch(value) is not None


@dataclass
class Answer:
    """What Kratos said: status and parsed JSON body (or None). Its Set-Cookies are already relayed."""

    status: int
    body: Any = None

    @property
    def error(self) -> dict[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error if isinstance(error, dict) else {}

    @property
    def error_id(self) -> str | None:
        return self.error.get("id")


@dataclass(frozen=True)
class RequestScope:
    """What every call to Ory made for one incoming request carries: the request's id (sent as
    X-Request-ID) and its deadline (on time.monotonic()), past which no call waits: a request
    that queued for a thread, or made calls before, has that much less time for this one."""

    request_id: str | None = None
    deadline: float | None = None

    def timeout(self, limit: float, what: str) -> float:
        """The seconds the next call may take in all: `limit`, or what is left before the deadline.
        With nothing left nothing is sent: KratosUnavailable, logged with `what` (no query string)."""
        if self.deadline is None:
            return limit
        left = self.deadline - time.monotonic()
        if left <= 0:
            log.warning("%s not sent: the request's deadline had passed", what)
            raise KratosUnavailable(what)
        return min(limit, left)

    def headers(self) -> dict[str, str]:
        return {"X-Request-ID": self.request_id} if self.request_id else {}


@dataclass
class Browser:
    """What the browser behind this request sent, and the cookies Kratos set for it since.

    Built from the incoming request by the web layer (see app.auth) and passed to every
    browser-facing call: this module never reads Flask's request.
    """

    cookies: dict[str, str] = field(default_factory=dict)
    user_agent: str | None = None
    # The client's address after TRUSTED_PROXIES hops; Kratos records it on the session's device.
    client_ip: str | None = None
    for_request: RequestScope = field(default_factory=RequestScope)
    # The page's language (a BCP 47 tag): Kratos passes Accept-Language on to its web hooks.
    accept_language: str | None = None
    # Kratos's Set-Cookie headers, each whole, to relay to the browser with the response.
    set_cookies: list[str] = field(default_factory=list)

    def absorb(self, set_cookies: Iterable[str]) -> None:
        """Queue Kratos's cookies for the browser and use them on later calls of this request,
        so a second call (a flow created, then submitted) matches."""
        for header in set_cookies:
            self.set_cookies.append(header)
            morsel: SimpleCookie = SimpleCookie()
            morsel.load(header)
            for name, cookie in morsel.items():
                if cookie["max-age"] == "0" or "1970" in cookie["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie.value

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.user_agent:
            headers["User-Agent"] = self.user_agent
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        if self.accept_language:
            headers["Accept-Language"] = self.accept_language
        return headers | self.for_request.headers()


def with_locale(form: Any, locale: str | None) -> Any:
    """The form with the page's language as `transient_payload` (a JSON object, the one form value
    Kratos decodes into it): Kratos hands it to its mail templates (kratos/courier-templates) and
    web hooks. Kratos itself has no translations. The UI owns this field: a browser's is dropped."""
    if not locale or not isinstance(form, list):
        return form
    kept = [(name, value) for name, value in form if name != "transient_payload"]
    return kept + [("transient_payload", json.dumps({"locale": locale}))]


def _answer(status: int, content: bytes, what: str) -> Answer:
    """An Answer from a raw reply; `what` names the call (no query string) for the log."""
    try:
        body = orjson.loads(content) if content else None
    except ValueError:
        body = None
    if status >= 500:
        log.error("kratos %s answered %s", what, status)
    return Answer(status, body)


def probe(url: str, timeout: float) -> int:
    """The status of a plain GET (a health check), raising KratosUnavailable when there is none."""
    try:
        return requests.get(url, timeout=timeout, allow_redirects=False).status_code
    except requests.RequestException:
        raise KratosUnavailable(url) from None


class _Reply(NamedTuple):
    status: int
    set_cookies: list[str]
    content: bytes


class _DirectAdapter(HTTPAdapter):
    """requests' adapter without the per-call work this client never needs, ~0.05 ms a call: a
    proxy lookup (Kratos is reached directly), a cookie jar and a text encoding (Set-Cookie is
    relayed by hand, the body read as JSON), and a pool looked up again by URL (two origins,
    kept here). Its `send` is requests' own, which the unit tests' `responses` stands in for."""

    def __init__(self, pool_connections: int, pool_maxsize: int):
        super().__init__(pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=0)
        self._pools: dict[str, Any] = {}

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        url = str(request.url)
        origin = url[: url.find("/", url.find("//") + 2)]
        pool = self._pools.get(origin)
        if pool is None:  # two origins, fewer than the manager keeps (4): it never drops one of ours
            pool = self._pools[origin] = super().get_connection_with_tls_context(request, verify, proxies, cert)
        return pool

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        return request.path_url  # what requests' own answers without a proxy

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = resp.status
        response.headers = resp.headers  # urllib3's, already case-insensitive
        response.raw = resp
        response.reason = resp.reason
        response.url = str(req.url)
        response.request = req
        response.connection = self
        return response


class KratosClient:
    def __init__(self, public_url: str, admin_url: str, timeout: float, pool_size: int = 32):
        self.public_url = public_url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        # Sent through directly: a Session's per-call merging costs ~0.25 ms a call.
        self.adapter = _DirectAdapter(pool_connections=4, pool_maxsize=pool_size)

    # -- transport ---------------------------------------------------------

    def call(
        self, browser: Browser, method: str, path: str, *, params: dict[str, str] | None = None, form: Any = None
    ) -> Answer:
        """One request to Kratos's public API, as `browser`."""
        resp = self._send(
            method,
            self.public_url,
            path,
            params=params,
            form=form,
            headers=browser.headers(),
            scope=browser.for_request,
        )
        browser.absorb(resp.set_cookies)
        return _answer(resp.status, resp.content, f"{method} {path}")

    def _send(
        self,
        method: str,
        base: str,
        path: str,
        *,
        headers: dict[str, str],
        scope: RequestScope,
        params: Any = None,
        form: Any = None,
        shown: str | None = None,
    ) -> _Reply:
        # Only the path in log lines (or `shown`, the path without its ids): the query may hold a logout token.
        what = f"{method} {shown or path}"
        timeout = scope.timeout(self.timeout, f"kratos {what}")
        # Built by hand: PreparedRequest.prepare() parses and requotes the URL again, ~0.07 ms a
        # call. The paths are ours, ids in them are checked UUIDs, query and body are encoded here.
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = base + path + ("?" + urlencode(params, doseq=True) if params else "")
        prepared.headers = CaseInsensitiveDict(headers)
        prepared.body = None
        if form:
            prepared.body = urlencode(form, doseq=True)  # ASCII: every byte is percent-encoded
            prepared.headers["Content-Type"] = "application/x-www-form-urlencoded"
        if prepared.body is not None or method not in ("GET", "HEAD"):
            prepared.headers["Content-Length"] = str(len(prepared.body or ""))
        try:
            # A total for connecting and reading together, as ory-client's for admin calls; requests
            # hands a urllib3 Timeout through (its type hints know only seconds).
            resp = self.adapter.send(prepared, timeout=Timeout(total=timeout))  # type: ignore[arg-type]
            # Read here, so a body cut off or late is Kratos unavailable too.
            raw = resp.raw
            return _Reply(resp.status_code, raw.headers.getlist("Set-Cookie"), raw.read(decode_content=True))
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            log.warning("kratos %s failed: %s", what, type(exc).__name__)
            raise KratosUnavailable(what) from None

    # -- browser-facing calls ----------------------------------------------

    def whoami(self, browser: Browser) -> Answer:
        return self.call(browser, "GET", "/sessions/whoami")

    def create_browser_flow(self, browser: Browser, kind: str, params: dict[str, str] | None = None) -> Answer:
        return self.call(browser, "GET", f"/self-service/{kind}/browser", params=params)

    def get_flow(self, browser: Browser, kind: str, flow_id: str) -> Answer:
        return self.call(browser, "GET", f"/self-service/{kind}/flows", params={"id": flow_id})

    def submit_flow(self, browser: Browser, kind: str, flow_id: str, form: Any) -> Answer:
        # The browser's form is relayed as it came, so Kratos's schema-aware
        # decoder types the fields; Accept: application/json makes every
        # answer JSON instead of a redirect.
        return self.call(
            browser,
            "POST",
            f"/self-service/{kind}",
            params={"flow": flow_id},
            form=with_locale(form, browser.accept_language),
        )

    def create_logout_flow(self, browser: Browser) -> Answer:
        return self.call(browser, "GET", "/self-service/logout/browser")

    def perform_logout(self, browser: Browser, token: str) -> Answer:
        return self.call(browser, "GET", "/self-service/logout", params={"token": token})

    def list_my_sessions(self, browser: Browser) -> Answer:
        return self.call(browser, "GET", "/sessions")

    def revoke_my_session(self, browser: Browser, session_id: str) -> Answer:
        if not is_kratos_id(session_id):  # nothing but a Kratos id goes into a Kratos URL
            return Answer(404)
        return self.call(browser, "DELETE", f"/sessions/{session_id}")

    def revoke_my_other_sessions(self, browser: Browser) -> Answer:
        return self.call(browser, "DELETE", "/sessions")

    def get_flow_error(self, browser: Browser, error_id: str) -> Answer:
        return self.call(browser, "GET", "/self-service/errors", params={"id": error_id})

    # -- admin API ---------------------------------------------------------

    def _admin(self, method: str, path: str, kratos_id: str, scope: RequestScope | None) -> Answer:
        if not is_kratos_id(kratos_id):  # nothing but a Kratos id goes into a Kratos URL
            return Answer(404)
        scope = scope or RequestScope()
        headers = {"Accept": "application/json", **scope.headers()}
        resp = self._send(method, self.admin_url, path.format(kratos_id), headers=headers, scope=scope, shown=path)
        return _answer(resp.status, resp.content, f"admin {method} {path}")

    def get_identity(self, identity_id: str, *, for_request: RequestScope | None = None) -> Answer:
        """The identity with its credentials' types and dates (Kratos empties their config)."""
        return self._admin("GET", "/admin/identities/{}", identity_id, for_request)

    def extend_session(self, session_id: str, *, for_request: RequestScope | None = None) -> Answer:
        return self._admin("PATCH", "/admin/sessions/{}/extend", session_id, for_request)


class OryAdmin:
    """An Ory admin API (Kratos's or Hydra's) through ory-client: host set, no retries, this
    client's timeout on every call, cut to the request's deadline (`for_request`). The raw JSON
    is read, as for browser calls: ory-client's models reject some error bodies."""

    def __init__(self, name: str, url: str, timeout: float):
        self.name, self.url, self.timeout = name, url.rstrip("/"), timeout
        self._api_client: Any = None
        self._lock = threading.Lock()

    def call(self, api: str, method: str, *args: Any, for_request: RequestScope | None = None, **kwargs: Any) -> Answer:
        import ory_client
        import urllib3

        with self._lock:  # one client per process, however many threads ask at once
            if self._api_client is None:
                configuration = ory_client.Configuration(host=self.url)
                configuration.retries = 0  # urllib3's default 3 retries would quadruple every timeout
                self._api_client = ory_client.ApiClient(configuration)
        endpoint = getattr(getattr(ory_client, api)(self._api_client), f"{method}_without_preload_content")
        what = f"{self.name} admin {api}.{method}"
        scope = for_request or RequestScope()
        timeout = scope.timeout(self.timeout, what)
        try:
            resp = endpoint(*args, _request_timeout=timeout, _headers=scope.headers() or None, **kwargs)
        except urllib3.exceptions.HTTPError as exc:
            log.warning("%s failed: %s", what, type(exc).__name__)
            raise KratosUnavailable(what) from None
        return _answer(resp.status, resp.data, what)
