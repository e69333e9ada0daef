"""EXTEND_SESSION_WITHIN: extend, resync the cookie, once per window."""

import dataclasses
from datetime import datetime, timedelta

import pytest

from app import auth, create_app
from support import recorded


def session() -> dict:
    return recorded("whoami")["body"]


def expires() -> datetime:
    return datetime.fromisoformat(session()["expires_at"].replace("Z", "+00:00"))


@pytest.fixture
def sliding(settings, kratos, monkeypatch):
    """A signed-in browser; `at(seconds_left)` sets the clock that many seconds before expiry."""
    app = create_app(dataclasses.replace(settings, extend_session_within=600, ui_url="http://localhost"))
    auth._extend_attempts.clear()
    client = app.test_client()
    client.set_cookie("ory_kratos_session", "opaque")

    def at(seconds_left):
        monkeypatch.setattr(auth, "_now", lambda: expires() - timedelta(seconds=seconds_left))

    client.at = at
    return client


def extend_path() -> str:
    return f"/admin/sessions/{session()['id']}/extend"


@pytest.fixture
def extends(kratos):
    """Kratos's admin extend answers with the recording; `extends()` lists the calls that reached it."""
    kratos.answer("PATCH", extend_path(), "session_extended", admin=True)
    return lambda: [call for call in kratos.admin_calls() if call == ("PATCH", extend_path())]


def test_session_expiring_within_the_window_is_extended_and_its_cookie_reissued(sliding, kratos, extends):
    sliding.at(300)
    kratos.answer("GET", "/sessions/whoami", "whoami")
    kratos.answer("GET", "/sessions/whoami", "whoami_after_extend")
    resp = sliding.get("/")
    assert extends() == [("PATCH", extend_path())]
    assert len(kratos.public_calls()) == 2  # whoami, then whoami again for the fresh cookie
    assert [c.split("=")[0] for c in resp.headers.getlist("Set-Cookie")] == ["ory_kratos_session"]
    assert recorded("whoami_after_extend")["body"]["identity"]["traits"]["email"] in resp.get_data(as_text=True)


def test_session_far_from_expiry_is_left_alone(sliding, kratos, extends):
    sliding.at(3600)
    kratos.answer("GET", "/sessions/whoami", "whoami")
    sliding.get("/")
    assert extends() == [] and len(kratos.public_calls()) == 1


def test_an_ignored_extend_is_not_retried_on_every_request(sliding, kratos, extends):
    sliding.at(300)
    kratos.answer("GET", "/sessions/whoami", "whoami")  # Kratos keeps answering the old expiry
    for _ in range(3):
        sliding.get("/")
    assert len(extends()) == 1


def test_admin_api_down_still_serves_the_signed_in_page(sliding, kratos, extends):
    sliding.at(300)
    kratos.answer("GET", "/sessions/whoami", "whoami")
    kratos.unreachable("PATCH", extend_path(), admin=True)
    resp = sliding.get("/")
    assert len(extends()) == 1
    assert resp.status_code == 200 and session()["identity"]["traits"]["email"] in resp.get_data(as_text=True)


def test_extension_is_off_unless_configured(signed_in, kratos, extends, monkeypatch):
    monkeypatch.setattr(auth, "_now", lambda: expires() - timedelta(seconds=5))
    signed_in.get("/")
    assert extends() == []
