"""All HTTP to Ory's servers goes through this module.

Browser-facing Kratos calls (flows, whoami, logout) use raw JSON over one `requests`
adapter on libcurl (kept-alive connections shared by all threads): each call takes a
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

import contextvars
import json
import logging
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import urlencode

import orjson
import pycurl
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import ProtocolError, ReadTimeoutError
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


class _CurlReply:
    """A _CurlPool's answer, read as requests reads urllib3's: status, headers, and a body
    already read in full (libcurl fails the call when it is cut off or late)."""

    def __init__(self, status: int, reason: str, headers: HTTPHeaderDict, body: bytes):
        self.status, self.reason, self.headers, self._body = status, reason, headers, body

    def read(self, decode_content: bool = True) -> bytes:
        return self._body  # never encoded: no Accept-Encoding is sent

    def release_conn(self) -> None:
        """Nothing to release: the handle went back to its pool when the body was read."""

    def close(self) -> None:
        """As release_conn."""


class _CurlPool:
    """One origin's kept-alive connections, in libcurl handles, each serving one call at a time
    and keeping its connection for the next. libcurl speaks HTTP in C: a call to Kratos costs the UI
    ~0.36 million instructions in all, where urllib3 over http.client took ~1 million. Stands where
    requests' adapter expects a urllib3 pool: `urlopen` in, a reply out, urllib3's errors for
    requests to map."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._idle: list[pycurl.Curl] = []
        # Set by HTTPAdapter.cert_verify before each call: https verifies against requests' CA bundle.
        self.cert_reqs: str | None = None
        self.ca_certs: str | None = None
        self.ca_cert_dir: str | None = None
        _POOLS.add(self)

    def urlopen(
        self, method: str, url: str, body: Any = None, headers: Any = None, timeout: Any = None, **_: Any
    ) -> _CurlReply:
        try:
            handle = self._idle.pop()  # atomic: no two threads get one handle
        except IndexError:
            handle = pycurl.Curl()
        else:
            handle.reset()  # options go, kept connections stay
        lines: list[bytes] = []
        chunks: list[bytes] = []
        handle.setopt(pycurl.NOSIGNAL, 1)  # threads: no SIGALRM for timeouts
        handle.setopt(pycurl.PROXY, "")  # Kratos is reached directly, whatever the environment says
        handle.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.TIMEOUT_MS, _milliseconds(timeout))
        if body is not None:
            handle.setopt(pycurl.POSTFIELDS, body.encode() if isinstance(body, str) else body)
        if method != ("POST" if body is not None else "GET"):
            handle.setopt(pycurl.CUSTOMREQUEST, method)
        headers = headers or CaseInsensitiveDict()
        # "Expect:" unset: no 100-continue round trip before a body. "User-Agent:" unset when the
        # browser sent none: else pycurl's own (its and OpenSSL's versions) would reach Kratos, which
        # records it as the session's device.
        unset = ["Expect:"] if "User-Agent" in headers else ["Expect:", "User-Agent:"]
        handle.setopt(pycurl.HTTPHEADER, [f"{name}: {value}" for name, value in headers.items()] + unset)
        if url.startswith("https:"):
            if self.cert_reqs == "CERT_REQUIRED":
                handle.setopt(pycurl.CAPATH if self.ca_cert_dir else pycurl.CAINFO, self.ca_cert_dir or self.ca_certs)
            else:
                handle.setopt(pycurl.SSL_VERIFYPEER, 0)
                handle.setopt(pycurl.SSL_VERIFYHOST, 0)
        handle.setopt(pycurl.HEADERFUNCTION, lines.append)
        handle.setopt(pycurl.WRITEFUNCTION, chunks.append)
        try:
            handle.perform()
        except pycurl.error as exc:
            handle.close()
            # Only the error's number: libcurl's message names the URL, whose query may hold a token.
            code = exc.args[0] if exc.args else None
            if code == pycurl.E_OPERATION_TIMEDOUT:
                raise ReadTimeoutError(None, "", f"timed out (curl error {code})") from None  # type: ignore[arg-type]
            raise ProtocolError(f"curl error {code}") from None
        status = handle.getinfo(pycurl.RESPONSE_CODE)
        if len(self._idle) < self.maxsize:
            self._idle.append(handle)
        else:
            handle.close()
        return _CurlReply(status, *_parse_head(lines), b"".join(chunks))

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def _milliseconds(timeout: Any) -> int:
    """libcurl's total limit for a call, from requests' urllib3 Timeout; 0 means none."""
    if timeout is None:
        return 0
    seconds = timeout.total if timeout.total is not None else timeout.read_timeout
    return max(1, math.ceil(seconds * 1000)) if seconds is not None else 0


def _parse_head(lines: list[bytes]) -> tuple[str, HTTPHeaderDict]:
    """The reason and headers of the last answer in libcurl's header lines (a 100 Continue may
    come before it)."""
    reason, headers = "", HTTPHeaderDict()
    for raw in lines:
        line = raw.decode("latin-1")
        if line.startswith("HTTP/"):
            reason, headers = line.split(" ", 2)[2].strip() if line.count(" ") >= 2 else "", HTTPHeaderDict()
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    return reason, headers


# Every pool, so a forked worker drops the handles (and sockets) it inherited.
_POOLS: weakref.WeakSet[_CurlPool] = weakref.WeakSet()
# Calls made beside the one a request waits on (see KratosClient.beside): a few threads per process.
BESIDE_THREADS = 4
_beside: ThreadPoolExecutor | None = None
_beside_lock = threading.Lock()


def _beside_pool() -> ThreadPoolExecutor:
    global _beside
    if _beside is None:
        with _beside_lock:
            if _beside is None:
                _beside = ThreadPoolExecutor(BESIDE_THREADS, thread_name_prefix="kratos-beside")
    return _beside


def _forget_inherited_handles() -> None:
    global _beside, _beside_lock
    for pool in list(_POOLS):
        pool._idle.clear()  # the parent's sockets: closed by no one here, used by no one
    _beside, _beside_lock = None, threading.Lock()  # its threads did not come along


os.register_at_fork(after_in_child=_forget_inherited_handles)


class _CurlAdapter(HTTPAdapter):
    """requests' adapter over _CurlPool, and without the per-call work this client never needs: a
    proxy lookup (Kratos is reached directly), a cookie jar and a text encoding (Set-Cookie is
    relayed by hand, the body read as JSON). Its `send` is requests' own, which the unit tests'
    `responses` stands in for."""

    def __init__(self, pool_connections: int, pool_maxsize: int):
        super().__init__(pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=0)
        self._pools: dict[str, _CurlPool] = {}
        self._maxsize = pool_maxsize

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        url = str(request.url)
        origin = url[: url.find("/", url.find("//") + 2)]
        pool = self._pools.get(origin)
        if pool is None:  # two origins, kept here
            pool = self._pools.setdefault(origin, _CurlPool(self._maxsize))
        return pool

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        return str(request.url)  # libcurl takes the whole URL

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

    def close(self) -> None:
        super().close()
        for pool in self._pools.values():
            pool.close()


class KratosClient:
    def __init__(self, public_url: str, admin_url: str, timeout: float, pool_size: int = 32):
        self.public_url = public_url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        # Sent through directly: a Session's per-call merging costs ~0.25 ms a call.
        self.adapter = _CurlAdapter(pool_connections=4, pool_maxsize=pool_size)

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

    def beside(self, call: Callable[[], Answer]) -> Future[Answer]:
        """Start `call` on another thread, so the caller's next call to Kratos waits at the same
        time; `.result()` gives its Answer or raises its KratosUnavailable. It runs in a copy of
        the caller's context (its log lines keep the request's id) and must read nothing the
        caller changes meanwhile."""
        return _beside_pool().submit(contextvars.copy_context().run, call)

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
