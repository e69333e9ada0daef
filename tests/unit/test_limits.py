"""Oversized bodies and rate limits (app/limits.py), against recorded Kratos answers:
what reaches Kratos, and what the user reads."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from app import create_app
from app.config import ConfigError, Settings
from formclient import Parsed
from support import recorded
from unit.conftest import UI

LOGIN_ID = recorded("login_flow")["body"]["id"]
RECOVERY_ID = recorded("recovery_flow")["body"]["id"]


def parsed(resp) -> Parsed:
    return Parsed.of(resp.get_data(as_text=True))


def limited_client(settings, **limits):
    """A client of an app whose rate limits are `limits` (setting name -> value)."""
    app = create_app(dataclasses.replace(settings, rate_limits=tuple(limits.items())))
    client = app.test_client()
    open_request = client.open
    client.open = lambda *a, **k: open_request(*a, **{"base_url": UI, **k})
    return client


def submissions(kratos, path: str) -> int:
    return sum(
        1 for call in kratos.calls if call.request.method == "POST" and call.request.url.split("?")[0].endswith(path)
    )


def sign_in(client, identifier: str, ip: str = "198.51.100.7"):
    return client.post(
        f"/login?flow={LOGIN_ID}",
        environ_base={"REMOTE_ADDR": ip},
        data={"csrf_token": "t", "identifier": identifier, "password": "wrong-password", "method": "password"},
    )


# -- request size ---------------------------------------------------------------


def test_an_oversized_body_gets_the_413_page_and_kratos_is_not_asked(signed_in, kratos):
    kratos.calls.reset()
    resp = signed_in.post(f"/login?flow={LOGIN_ID}", data={"identifier": "a@example.com", "password": "x" * 70_000})
    assert resp.status_code == 413
    page = parsed(resp)
    assert "That form is too large" in page.text
    assert (
        "error",
        "What was sent is larger than this site accepts, so it went no further. Please try again.",
    ) in page.messages
    assert len(kratos.calls) == 0  # not even the session lookup


def test_max_content_length_is_a_setting(settings, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    client = create_app(dataclasses.replace(settings, max_content_length=2048)).test_client()
    assert client.post(f"/login?flow={LOGIN_ID}", base_url=UI, data={"password": "x" * 3000}).status_code == 413
    assert client.post(f"/login?flow={LOGIN_ID}", base_url=UI, data={"password": "x" * 1000}).status_code == 400


# -- settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("MAX_CONTENT_LENGTH", "lots"),
        ("MAX_CONTENT_LENGTH", "0"),
        ("MAX_CONTENT_LENGTH", "64 GB"),
        ("RATE_LIMIT_SIGN_IN", "ten a minute"),
        ("RATE_LIMIT_SIGN_IN_IP", "0 per minute"),
        ("RATE_LIMIT_CODE", ""),
        ("RATE_LIMIT_EMAIL_IP", "-1/hour"),
    ],
)
def test_a_bad_limit_setting_stops_start_up_in_one_line_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        Settings.from_env()
    assert str(raised.value).startswith(f"{name}=") and "\n" not in str(raised.value)


def test_an_unsupported_store_is_refused_without_repeating_its_password(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URI", "memcached://:s3cret-pass@cache:11211")
    with pytest.raises(ConfigError) as raised:
        Settings.from_env()
    assert "RATE_LIMIT_STORAGE_URI" in str(raised.value) and "s3cret" not in str(raised.value)


def test_limit_settings_are_read(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN", "3 per 3 seconds")
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "16KB")
    settings = Settings.from_env()
    assert dict(settings.rate_limits)["RATE_LIMIT_SIGN_IN"] == "3 per 3 seconds"
    assert settings.max_content_length == 16 * 1024 and settings.rate_limit_storage_uri == "memory://"


# -- rate limits ----------------------------------------------------------------


def test_over_the_sign_in_limit_gets_429_the_form_again_with_the_identifier_and_kratos_is_not_sent_it(settings, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    client = limited_client(settings, RATE_LIMIT_SIGN_IN="3 per 10 minutes")
    for _ in range(3):
        assert sign_in(client, "victim@example.com").status_code == 400
    refused = sign_in(client, " Victim@Example.com ")  # the same account, however typed
    assert refused.status_code == 429
    assert 540 <= int(refused.headers["Retry-After"]) <= 600
    page = parsed(refused)
    assert ("info", "Too many attempts. Try again in about 10 minutes.") in page.messages
    assert page.forms[0].inputs["identifier"]["value"] == " Victim@Example.com "
    assert "value" not in page.forms[0].inputs["password"]
    assert submissions(kratos, "/self-service/login") == 3
    # Another account from the same address is not affected.
    assert sign_in(client, "someone-else@example.com").status_code == 400
    assert submissions(kratos, "/self-service/login") == 4


def test_the_per_ip_limit_covers_every_identifier_from_that_address(settings, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    client = limited_client(settings, RATE_LIMIT_SIGN_IN_IP="2 per minute")
    assert sign_in(client, "one@example.com").status_code == 400
    assert sign_in(client, "two@example.com").status_code == 400
    refused = sign_in(client, "three@example.com")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert any("Try again in about" in text for _, text in parsed(refused).messages)
    assert sign_in(client, "three@example.com", ip="203.0.113.9").status_code == 400
    assert submissions(kratos, "/self-service/login") == 3


def test_page_views_are_never_counted(settings, kratos):
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    client = limited_client(settings, RATE_LIMIT_SIGN_IN="1 per minute", RATE_LIMIT_SIGN_IN_IP="1 per minute")
    for _ in range(5):
        assert client.get(f"/login?flow={LOGIN_ID}").status_code == 200
    assert sign_in(client, "viewer@example.com").status_code == 400


def test_recovery_mails_and_codes_are_limited_apart(settings, kratos):
    kratos.answer("POST", "/self-service/recovery", "recovery_code_sent")
    kratos.answer("GET", "/self-service/recovery/flows", "recovery_flow")
    client = limited_client(settings, RATE_LIMIT_EMAIL="2 per hour", RATE_LIMIT_CODE="2 per hour")

    def post(**form):
        return client.post(f"/recovery?flow={RECOVERY_ID}", data={"csrf_token": "t", "method": "code", **form})

    assert post(email="owner@example.com").status_code == 200
    assert post(email="OWNER@example.com").status_code == 200
    mail_refused = post(email="owner@example.com")
    assert mail_refused.status_code == 429 and "Retry-After" in mail_refused.headers
    assert parsed(mail_refused).forms[0].inputs["email"]["value"] == "owner@example.com"
    # Codes are counted on their own (per flow: the code form names no address).
    assert post(code="111111").status_code == 200
    assert post(code="222222").status_code == 200
    assert post(code="333333").status_code == 429
    assert submissions(kratos, "/self-service/recovery") == 4


def test_over_the_limit_with_the_flow_gone_still_says_when_to_try_again(settings, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    kratos.answer("GET", "/self-service/login/flows", "flow_not_found")
    client = limited_client(settings, RATE_LIMIT_SIGN_IN="1 per minute")
    sign_in(client, "gone@example.com")
    refused = sign_in(client, "gone@example.com")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert any("Try again in about" in text for _, text in parsed(refused).messages)


def test_when_the_shared_store_fails_each_process_keeps_counting(settings, kratos, caplog):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    client = limited_client(settings, RATE_LIMIT_SIGN_IN="1 per minute")
    logging.getLogger().addHandler(caplog.handler)  # create_app configured logging afresh
    state = client.application.extensions["rate_limits"]

    class DeadStore:
        def __getattr__(self, name):
            raise ConnectionError("store unreachable")

    client.application.extensions["rate_limits"] = dataclasses.replace(state, strategy=DeadStore())
    assert sign_in(client, "during-outage@example.com").status_code == 400
    assert sign_in(client, "during-outage@example.com").status_code == 429
    assert submissions(kratos, "/self-service/login") == 1
    assert "rate-limit store failed (ConnectionError)" in caplog.text
