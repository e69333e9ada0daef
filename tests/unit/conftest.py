"""Unit tests: the Flask app against Kratos answers recorded from the real
Kratos (tests/fixtures, written by scripts/record_fixtures.py), once per
recorded Kratos version."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import responses

import support
from app import create_app
from app.config import Settings
from support import recorded


@pytest.fixture(autouse=True, params=support.recorded_versions())
def kratos_answers(request, monkeypatch) -> str:
    """Every unit test runs on the answers of each tested Kratos version."""
    monkeypatch.setattr(support, "ANSWERS_FROM", request.param)
    return request.param


KRATOS = "http://kratos.internal:4433"  # server-to-server address; never shown to browsers
KRATOS_ADMIN = "http://kratos.internal:4434"


def recorded_kratos_origin() -> str:
    """The browser-facing Kratos URL the fixtures were recorded from."""
    parts = urlsplit(recorded("login_flow")["body"]["request_url"])
    return f"{parts.scheme}://{parts.netloc}"


UI = "http://127.0.0.1:4455"  # the UI URL the recorder configured Kratos with


@pytest.fixture
def settings() -> Settings:
    return Settings(
        kratos_public_url=KRATOS,
        kratos_browser_url=recorded_kratos_origin(),
        kratos_admin_url=KRATOS_ADMIN,
        allowed_return_urls=(UI,),
        kratos_timeout=2,
        session_cookie_name="ory_kratos_session",
        ui_url=UI,
    )


@pytest.fixture
def app(settings):
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    """A test client whose requests arrive at the UI's real URL."""
    test_client = app.test_client()
    open_request = test_client.open

    def open_at_ui(*args, **kwargs):
        kwargs.setdefault("base_url", UI)
        return open_request(*args, **kwargs)

    test_client.open = open_at_ui
    return test_client


@pytest.fixture
def kratos():
    """`kratos.answer(method, path, fixture)` makes the mocked Kratos answer with a recording
    (`admin=True`: on its admin API), `kratos.unreachable(method, path)` fails that call as a
    connection error, `kratos.answer_with(method, path, callback)` answers through a function;
    `public_calls()` and `admin_calls()` list what reached it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer(method: str, path: str, fixture: str, status: int | None = None, *, admin: bool = False):
            rec = recorded(fixture)
            mock.add(
                responses.Response(
                    method,
                    (KRATOS_ADMIN if admin else KRATOS) + path,
                    json=rec["body"],
                    status=status or rec["status"],
                    headers=[("Set-Cookie", c) for c in rec["set_cookie"]],
                )
            )
            return rec

        def calls_to(base: str) -> list[tuple[str, str]]:
            return [
                (c.request.method, urlsplit(c.request.url).path) for c in mock.calls if c.request.url.startswith(base)
            ]

        def unreachable(method: str, path: str, *, admin: bool = False):
            mock.upsert(method, (KRATOS_ADMIN if admin else KRATOS) + path, body=requests.ConnectionError("down"))

        def answer_with(method: str, path: str, callback, *, admin: bool = False):
            """Answer through `callback(request) -> (status, headers, body)`: to see when a call came."""
            mock.add_callback(method, (KRATOS_ADMIN if admin else KRATOS) + path, callback=callback)

        mock.answer = answer
        mock.answer_with = answer_with
        mock.unreachable = unreachable
        mock.public_calls = lambda: calls_to(KRATOS)
        mock.admin_calls = lambda: calls_to(KRATOS_ADMIN)
        yield mock


@pytest.fixture
def signed_in(client, kratos):
    """The browser holds a session cookie and Kratos's whoami accepts it."""
    client.set_cookie("ory_kratos_session", "opaque-session-value", domain="127.0.0.1")
    kratos.answer("GET", "/sessions/whoami", "whoami")
    return client


@pytest.fixture(autouse=True)
def no_admin_identity(monkeypatch):
    """Settings ask the admin API for credential dates; by default they do not ask, and show no
    dates, as when it is down (tests/unit/test_settings_cards.py asks for them)."""
    monkeypatch.setattr("app.flows.settings.signed_in_identity_id", lambda: None)
