"""OAuth2 pieces that need no Hydra answer: settings, the id_token claims, the OAuth2 error
page and the token hook's guard (the rest runs against the real Hydra in
tests/integration/test_oauth2_apps.py)."""

from __future__ import annotations

from dataclasses import replace

import html5lib
import pytest

from app.config import ConfigError, Settings
from app.oauth2 import SESSION_CLAIM, TOKEN_HOOK_HEADER, identity_claims
from support import recorded

SECRET = "s" * 40


@pytest.fixture
def hook_client(settings, kratos):
    """The token hook's client; `calls()` lists the admin extends that reached Kratos."""
    from app import create_app

    app = create_app(replace(settings, token_hook_secret=SECRET))
    session_id = recorded("whoami")["body"]["id"]
    kratos.answer("PATCH", f"/admin/sessions/{session_id}/extend", "session_extended", admin=True)
    client = app.test_client()
    client.calls = lambda: [call for call in kratos.admin_calls() if call[1].endswith("/extend")]
    return client


def hook_body(grant: str, session_id: str | None) -> dict:
    return {
        "session": {"extra": {SESSION_CLAIM: session_id} if session_id else {}},
        "request": {"client_id": "app", "grant_types": [grant], "granted_scopes": ["openid", "offline_access"]},
    }


def test_the_token_hook_is_off_unless_its_secret_is_set(client):
    assert (
        client.post(
            "/oauth2/token-hook", json=hook_body("refresh_token", None), base_url="http://127.0.0.1:4455"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("header", [None, "", "s" * 39, "x" * 40])
def test_the_token_hook_refuses_a_wrong_secret_without_asking_kratos(hook_client, header):
    headers = {TOKEN_HOOK_HEADER: header} if header is not None else {}
    session_id = recorded("whoami")["body"]["id"]
    resp = hook_client.post(
        "/oauth2/token-hook",
        json=hook_body("refresh_token", session_id),
        headers=headers,
        base_url="http://127.0.0.1:4455",
    )
    assert resp.status_code == 401 and hook_client.calls() == []


def test_a_refresh_extends_the_consenting_kratos_session(hook_client):
    session_id = recorded("whoami")["body"]["id"]
    resp = hook_client.post(
        "/oauth2/token-hook",
        json=hook_body("refresh_token", session_id),
        headers={TOKEN_HOOK_HEADER: SECRET},
        base_url="http://127.0.0.1:4455",
    )
    assert resp.status_code == 204  # Hydra keeps the token's claims as they are
    assert hook_client.calls() == [("PATCH", f"/admin/sessions/{session_id}/extend")]


@pytest.mark.parametrize(
    "grant, session_id",
    [("authorization_code", "ok"), ("refresh_token", None), ("refresh_token", "../admin/identities")],
)
def test_other_grants_and_missing_or_odd_ids_extend_nothing(hook_client, grant, session_id):
    if session_id == "ok":
        session_id = recorded("whoami")["body"]["id"]
    resp = hook_client.post(
        "/oauth2/token-hook",
        json=hook_body(grant, session_id),
        headers={TOKEN_HOOK_HEADER: SECRET},
        base_url="http://127.0.0.1:4455",
    )
    assert resp.status_code == 204 and hook_client.calls() == []


def test_id_token_claims_follow_the_granted_scopes_and_verified_addresses():
    identity = recorded("whoami")["body"]["identity"]
    email = identity["traits"]["email"]
    verified = {**identity, "verifiable_addresses": [{"value": email.upper(), "verified": True, "via": "email"}]}
    assert identity_claims(verified, ["openid", "email"]) == {"email": email, "email_verified": True}
    assert identity_claims({**identity, "verifiable_addresses": []}, ["openid", "email"])["email_verified"] is False
    assert identity_claims(identity, ["openid"]) == {}
    named = {**identity, "traits": {"email": email, "name": {"first": "Ada", "last": "Lovelace"}}}
    assert identity_claims(named, ["profile"]) == {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "name": "Ada Lovelace",
    }


def test_oauth2_errors_get_our_words_and_never_the_free_text(client):
    resp = client.get(
        "/error",
        query_string={
            "error": "invalid_scope",
            "error_description": "Phone 555 now",
            "error_hint": "<img src=x onerror=alert(1)>",
        },
    )
    doc = html5lib.parse(resp.get_data(as_text=True), namespaceHTMLElements=False)
    assert resp.status_code == 400 and doc.find(".//h1").text == "The app asked for something unknown"
    body = "".join(doc.find(".//main").itertext())
    assert "555" not in body and "onerror" not in body and doc.find(".//main//img") is None
    assert doc.find(".//code").text == "invalid_scope"


def test_an_unknown_error_code_is_named_only_when_it_is_a_plain_code(client):
    for code, shown in (("weird_code", "weird_code"), ("Call 555-0100 <b>", None)):
        doc = html5lib.parse(
            client.get("/error", query_string={"error": code}).get_data(as_text=True), namespaceHTMLElements=False
        )
        assert doc.find(".//h1").text == "Something went wrong"
        assert (doc.find(".//code").text if doc.find(".//code") is not None else None) == shown


def test_hydra_needs_a_secret_key(monkeypatch):
    monkeypatch.setenv("HYDRA_PUBLIC_URL", "http://127.0.0.1:4444")
    monkeypatch.setenv("HYDRA_ADMIN_URL", "http://127.0.0.1:4445")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="SECRET_KEY is shorter than 32"):
        Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("TRUSTED_CLIENT_IDS", " first-party, ,other ")
    settings = Settings.from_env()
    assert settings.secret_key == SECRET and settings.trusted_client_ids == ("first-party", "other")


def test_without_hydra_the_oauth2_pages_do_not_exist(client):
    for path in ("/consent", "/consent?consent_challenge=x", "/oauth2/logout", "/oauth2/logout?logout_challenge=x"):
        assert client.get(path).status_code == 404
