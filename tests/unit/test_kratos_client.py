"""The one HTTP client to Kratos: what it forwards, what it keeps, how it fails."""

import dataclasses
import json
import logging
import socket
import threading

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


class AnsweringServer:
    """Answers every request on a connection with `reply`, and counts connections; a reply that
    says `Connection: close` is followed by closing it."""

    def __init__(self, reply: bytes):
        self.reply, self.connections = reply, 0
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
                buffered = buffered.split(b"\r\n\r\n", 1)[1]
                conn.sendall(self.reply)
                if b"Connection: close" in self.reply:
                    return

    def close(self):
        self.socket.close()


def test_an_answer_cut_off_midway_is_a_503_page():
    # Kratos promised 400 bytes and the connection ended after a few: the page says Kratos could
    # not be reached (a 503), never a server error.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\nConnection: close\r\n\r\n"
    server = AnsweringServer(head + b'{"id": "cut')
    try:
        status, text = signed_in_home_page(server.url, 2)
    finally:
        server.close()
    assert status == 503
    assert "could not reach the sign-in service" in text


def test_calls_to_kratos_share_kept_alive_connections():
    # Each page makes up to three calls; a connection opened for each would add a round trip.
    body = json.dumps({"error": {"code": 401}}).encode()
    server = AnsweringServer(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
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
