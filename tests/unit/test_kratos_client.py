"""The one HTTP client to Kratos: what it forwards, what it keeps, how it fails."""

import dataclasses
import json
import logging
import os
import socket
import threading
import time

import ory_client  # noqa: F401 - imported up front so its slow import is not timed below
import pytest

from app import create_app
from app.auth import browser
from app.config import Settings
from app.kratos import Browser, KratosClient, KratosUnavailable, OryAdmin
from page_checks import parse


def test_forwards_cookie_user_agent_and_the_client_ip(app, kratos):
    kratos.answer("GET", "/sessions/whoami", "whoami")
    with app.test_request_context(
        "/",
        headers={
            "Cookie": "ory_kratos_session=abc; other=1",
            "User-Agent": "Firefox/130",
            "X-Forwarded-For": "203.0.113.9",
        },
        environ_base={"REMOTE_ADDR": "198.51.100.2"},
    ):
        app.extensions["kratos"].whoami(browser())
    sent = kratos.calls[0].request.headers
    assert sent["Cookie"] == "ory_kratos_session=abc; other=1"
    assert sent["User-Agent"] == "Firefox/130"
    # With no trusted proxy, a client's own X-Forwarded-For is not believed.
    assert sent["X-Forwarded-For"] == "198.51.100.2"


def test_behind_a_trusted_proxy_the_forwarded_client_ip_reaches_kratos(settings, kratos):
    app = create_app(dataclasses.replace(settings, trusted_proxies=1))
    kratos.answer("GET", "/sessions/whoami", "whoami")
    client = app.test_client()
    client.set_cookie("ory_kratos_session", "abc", domain="127.0.0.1")
    client.get(
        "/",
        base_url="http://127.0.0.1:4455",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert kratos.calls[0].request.headers["X-Forwarded-For"] == "203.0.113.9"


def test_a_cookie_kratos_just_set_is_sent_on_the_next_call_of_the_same_request(app, kratos):
    kratos.answer("GET", "/self-service/verification/browser", "registration_flow")  # sets a CSRF cookie
    kratos.answer("GET", "/sessions/whoami", "whoami")
    with app.test_request_context("/", headers={"Cookie": "ory_kratos_session=abc"}):
        app.extensions["kratos"].create_browser_flow(browser(), "verification")
        app.extensions["kratos"].whoami(browser())
    cookies = dict(c.split("=", 1) for c in kratos.calls[1].request.headers["Cookie"].split("; "))
    assert cookies["ory_kratos_session"] == "abc"
    assert any(name.startswith("csrf_token_") for name in cookies)


def test_shared_session_never_stores_one_users_cookies_for_the_next(app, kratos):
    kratos.answer("POST", "/self-service/login", "login_success")
    kratos.answer("GET", "/sessions/whoami", "whoami_unauthorized")
    client = app.extensions["kratos"]
    with app.test_request_context("/"):
        client.submit_flow(browser(), "login", "id", [("a", "b")])
    with app.test_request_context("/"):
        client.whoami(browser())
    assert "Cookie" not in kratos.calls[1].request.headers


def silent_server():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server


def signed_in_home_page(kratos_url: str, timeout: float) -> tuple[int, str]:
    """The home page's status and text for a browser with a session cookie, Kratos at that URL."""
    app = create_app(
        Settings(kratos_url, kratos_url, kratos_url, (), timeout, "ory_kratos_session", ui_url="http://localhost")
    )
    client = app.test_client()
    client.set_cookie("ory_kratos_session", "x")
    resp = client.get("/")
    return resp.status_code, " ".join("".join(parse(resp.get_data(as_text=True)).itertext()).split())


def test_a_silent_kratos_times_out_into_a_503_page():
    server = silent_server()
    try:
        status, text = signed_in_home_page(f"http://127.0.0.1:{server.getsockname()[1]}", 0.3)
    finally:
        server.close()
    assert status == 503
    assert "could not reach the sign-in service" in text


def test_failures_are_logged_without_query_strings(caplog):
    client = KratosClient("http://127.0.0.1:9", "http://127.0.0.1:9", 0.5)
    with caplog.at_level(logging.WARNING), pytest.raises(KratosUnavailable):
        client.perform_logout(Browser(), "ory_lo_secret-token")
    assert "perform" not in caplog.text and "ory_lo_secret-token" not in caplog.text
    assert "/self-service/logout" in caplog.text


def test_a_silent_admin_api_times_out_after_one_try():
    server = silent_server()
    hydra = OryAdmin("hydra", f"http://127.0.0.1:{server.getsockname()[1]}", 0.3)
    try:
        with pytest.raises(KratosUnavailable):
            hydra.call("OAuth2Api", "get_o_auth2_consent_request", "a-challenge")
        # One connection, not four (urllib3's default retries): count what reached the server.
        server.settimeout(0.2)
        attempts = 0
        while True:
            try:
                server.accept()[0].close()
            except TimeoutError:
                break
            attempts += 1
    finally:
        server.close()
    assert attempts == 1


class ScriptedServer:
    """Answers the n-th request with `replies[n]` (the last one after that), records each request's
    head and body, and counts connections. It closes a connection after a reply that says
    `Connection: close`, and after the requests numbered in `close_after` without saying so, as a
    server whose idle timeout passed."""

    def __init__(self, replies: list[bytes], close_after: frozenset[int] = frozenset()):
        self.replies, self.close_after = replies, close_after
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            buffered = b""
            while True:
                while b"\r\n\r\n" not in buffered:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffered += data
                head, buffered = buffered.split(b"\r\n\r\n", 1)
                line, *fields = head.decode("latin-1").split("\r\n")
                headers = {name.lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
                length = int(headers.get("content-length", "0"))
                while len(buffered) < length:
                    buffered += conn.recv(65536)
                body, buffered = buffered[:length], buffered[length:]
                number = len(self.requests)
                self.requests.append((line, headers, body))
                reply = self.replies[min(number, len(self.replies) - 1)]
                conn.sendall(reply)
                if number in self.close_after or b"Connection: close" in reply:
                    return

    def close(self):
        self.socket.close()


def test_an_answer_cut_off_midway_is_a_503_page():
    # Kratos promised 400 bytes and the connection ended after a few: the page says Kratos could
    # not be reached (a 503), never a server error.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\nConnection: close\r\n\r\n"
    server = ScriptedServer([head + b'{"id": "cut'])
    try:
        status, text = signed_in_home_page(server.url, 2)
    finally:
        server.close()
    assert status == 503
    assert "could not reach the sign-in service" in text


def test_calls_to_kratos_share_kept_alive_connections():
    # Each page makes up to three calls; a connection opened for each would add a round trip.
    body = json.dumps({"error": {"code": 401}}).encode()
    server = ScriptedServer(
        [
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        ]
    )
    # The same server as two origins, as Kratos's public and admin APIs.
    client = KratosClient(server.url, server.url.replace("127.0.0.1", "localhost"), 2)
    try:
        for _ in range(10):
            assert client.whoami(Browser()).status == 401
            assert client.get_identity("9fe10c01-2d73-48a3-a505-62144f6275a5").status == 401
        assert server.connections == 2  # one to the public API's origin, one to the admin API's
    finally:
        client.adapter.close()
        server.close()


def json_reply(body: dict, *extra_headers: str) -> bytes:
    data = json.dumps(body).encode()
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(data)}", *extra_headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def test_an_answer_in_chunks_is_read_whole():
    # Kratos (Go) sends a large flow, as a settings flow is, in chunks.
    flow = {"id": "f", "ui": {"nodes": [{"type": "input", "attributes": {"name": f"n{i}"}} for i in range(300)]}}
    data = json.dumps(flow).encode()
    third = len(data) // 3
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (data[:third], data[third:-5], data[-5:]))
    server = ScriptedServer(
        [
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        ]
    )
    client = KratosClient(server.url, server.url, 2)
    try:
        answer = client.get_flow(Browser(), "settings", "9fe10c01-2d73-48a3-a505-62144f6275a5")
    finally:
        client.adapter.close()
        server.close()
    assert answer.status == 200
    assert answer.body == flow


def test_every_cookie_of_one_answer_reaches_the_browser_in_order():
    server = ScriptedServer(
        [
            json_reply(
                {},
                "Set-Cookie: csrf_token_1=abc; Path=/; HttpOnly",
                "Set-Cookie: ory_kratos_session=s3; Path=/; HttpOnly; SameSite=Lax",
                "set-cookie: gone=; Max-Age=0",
            )
        ]
    )
    client = KratosClient(server.url, server.url, 2)
    browser_ = Browser(cookies={"gone": "1"})
    try:
        client.whoami(browser_)
    finally:
        client.adapter.close()
        server.close()
    assert browser_.set_cookies == [
        "csrf_token_1=abc; Path=/; HttpOnly",
        "ory_kratos_session=s3; Path=/; HttpOnly; SameSite=Lax",
        "gone=; Max-Age=0",
    ]
    assert browser_.cookies == {"csrf_token_1": "abc", "ory_kratos_session": "s3"}


def test_an_interim_answer_before_kratos_answers_is_not_taken_for_it():
    server = ScriptedServer(
        [b"HTTP/1.1 100 Continue\r\nSet-Cookie: interim=1\r\n\r\n" + json_reply({"final": True}, "Set-Cookie: a=1")]
    )
    client = KratosClient(server.url, server.url, 2)
    browser_ = Browser()
    try:
        answer = client.whoami(browser_)
    finally:
        client.adapter.close()
        server.close()
    assert (answer.status, answer.body) == (200, {"final": True})
    assert browser_.set_cookies == ["a=1"]


def test_a_kept_connection_kratos_closed_meanwhile_is_replaced_unnoticed():
    # Kratos drops an idle connection without a word; the next call gets its answer on a new one.
    server = ScriptedServer([json_reply({"n": 1}), json_reply({"n": 2})], close_after=frozenset({0}))
    client = KratosClient(server.url, server.url, 2)
    try:
        assert client.whoami(Browser()).body == {"n": 1}
        time.sleep(0.1)
        assert client.whoami(Browser()).body == {"n": 2}
    finally:
        client.adapter.close()
        server.close()
    assert server.connections == 2


def test_each_call_on_a_kept_connection_sends_its_own_method_and_body():
    # One connection serves calls of every kind in turn: nothing of a form post stays for the next call.
    server = ScriptedServer([json_reply({})])
    client = KratosClient(server.url, server.url, 2)
    session_id = "9fe10c01-2d73-48a3-a505-62144f6275a5"
    try:
        client.submit_flow(Browser(cookies={"csrf_token_1": "t"}), "login", session_id, [("identifier", "a@b.c")])
        client.whoami(Browser())
        client.revoke_my_session(Browser(), session_id)
        client.extend_session(session_id)
        client.get_flow(Browser(), "login", session_id)
        # A body over 1 MiB, where libcurl would otherwise ask first and wait a second for "continue".
        client.submit_flow(Browser(), "settings", session_id, [("traits.bio", "x" * 1_100_000)])
    finally:
        client.adapter.close()
        server.close()
    assert server.connections == 1
    lines = [line for line, _, _ in server.requests]
    assert lines == [
        f"POST /self-service/login?flow={session_id} HTTP/1.1",
        "GET /sessions/whoami HTTP/1.1",
        f"DELETE /sessions/{session_id} HTTP/1.1",
        f"PATCH /admin/sessions/{session_id}/extend HTTP/1.1",
        f"GET /self-service/login/flows?id={session_id} HTTP/1.1",
        f"POST /self-service/settings?flow={session_id} HTTP/1.1",
    ]
    (_, posted, form), *others, (_, large, large_form) = server.requests
    assert "expect" not in large and len(large_form) == int(large["content-length"]) > 1_100_000
    assert form == b"identifier=a%40b.c"
    assert posted["content-type"] == "application/x-www-form-urlencoded"
    assert posted["content-length"] == str(len(form))
    assert posted["cookie"] == "csrf_token_1=t"
    assert "expect" not in posted  # no 100-continue round trip
    # A browser that sent no User-Agent: none reaches Kratos (it records it as the session's device).
    assert all("user-agent" not in headers for _, headers, _ in server.requests)
    assert all(body == b"" and "content-type" not in headers for _, headers, body in others)
    assert [headers.get("content-length") for _, headers, _ in others] == [None, "0", "0", None]


def test_the_browsers_user_agent_reaches_kratos_as_it_sent_it():
    server = ScriptedServer([json_reply({})])
    client = KratosClient(server.url, server.url, 2)
    try:
        client.whoami(Browser(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"))
    finally:
        client.adapter.close()
        server.close()
    assert server.requests[0][1]["user-agent"] == "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


def test_proxy_settings_in_the_environment_do_not_reroute_calls(monkeypatch):
    # Kratos is reached directly: a proxy meant for the app's other traffic is not in the way.
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    server = ScriptedServer([json_reply({"direct": True})])
    client = KratosClient(server.url, server.url, 2)
    try:
        assert client.whoami(Browser()).body == {"direct": True}
    finally:
        client.adapter.close()
        server.close()


def test_a_forked_worker_opens_connections_of_its_own():
    # A server that forks workers after the app made a call must not share that call's socket.
    server = ScriptedServer([json_reply({"ok": True})])
    client = KratosClient(server.url, server.url, 2)
    try:
        assert client.whoami(Browser()).status == 200
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(0 if client.whoami(Browser()).body == {"ok": True} else 1)
        _, status = os.waitpid(pid, 0)
        assert client.whoami(Browser()).status == 200  # the parent's own connection still serves it
    finally:
        client.adapter.close()
        server.close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert server.connections == 2
    assert len(server.requests) == 3


def test_a_forked_worker_makes_calls_beside_others_too():
    # The parent's threads for calls made beside another do not exist in a forked worker: it starts its own.
    server = ScriptedServer([json_reply({"ok": True})])
    client = KratosClient(server.url, server.url, 2)
    try:
        assert client.beside(lambda: client.whoami(Browser())).result(timeout=5).status == 200
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                answer = client.beside(lambda: client.whoami(Browser())).result(timeout=5)
                os._exit(0 if answer.body == {"ok": True} else 1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
    finally:
        client.adapter.close()
        server.close()
    assert os.waitstatus_to_exitcode(status) == 0
