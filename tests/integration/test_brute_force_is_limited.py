"""Rate limits on form submissions (app/limits.py), against the real Kratos: what is
refused never reaches Kratos, counted in Kratos's own request log and the mail sink."""

from __future__ import annotations

import time

import pytest

from conftest import running_stack
from formclient import FormClient
from mailsink import read_mails, wait_for_code
from support import INVALID_CREDENTIALS, PASSWORD, kratos_requests, new_email, returning_user, sign_in

WINDOW = 10  # seconds: three attempts fit in it even on a busy machine


@pytest.fixture(scope="module")
def short_window(tmp_path_factory, kratos_bin):
    """3 sign-in attempts per account per WINDOW seconds, and 6 per client address per minute (long
    enough that a slow machine still fits six attempts in it); one trusted proxy hop, so each test
    browser can come from its own address."""
    with running_stack(
        tmp_path_factory,
        "short-window",
        ui_env={
            "RATE_LIMIT_SIGN_IN": f"3 per {WINDOW} seconds",
            "RATE_LIMIT_SIGN_IN_IP": "6 per 60 seconds",
            "TRUSTED_PROXIES": "1",
        },
    ) as stack:
        yield stack


def from_address(ip: str) -> FormClient:
    client = FormClient()
    client.http.headers["X-Forwarded-For"] = ip
    return client


def assert_too_many(page, identifier: str, minutes_or_seconds: str):
    assert page.status == 429
    assert int(page.resp.headers["Retry-After"]) >= 1
    assert any(kind == "info" and f"Try again in about {minutes_or_seconds}" in text for kind, text in page.messages)
    form = page.form("Sign in")
    assert form.inputs["identifier"]["value"] == identifier  # what they typed is kept
    assert "value" not in form.inputs["password"]


def test_the_eleventh_wrong_password_gets_429_and_never_reaches_kratos(stack):
    client, email = returning_user(stack)
    page = client.get(stack.ui_url + "/login")
    before = kratos_requests(stack, "POST", "/self-service/login")
    for attempt in range(10):
        page = page.submit({"identifier": email, "password": f"wrong-Password-{attempt}"}, button="Sign in")
        assert page.status == 400 and INVALID_CREDENTIALS in page.text
    eleventh = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert_too_many(eleventh, email, "10 minutes")
    assert kratos_requests(stack, "POST", "/self-service/login") == before + 10
    assert "You are not signed in" in client.get(stack.ui_url + "/").text
    # Limits are per account: another user signs in from the same address.
    other, other_email = returning_user(stack)
    assert f"Signed in as {other_email}" in sign_in(other, stack, other_email).text


def test_the_right_password_after_the_window_signs_in(short_window):
    stack = short_window
    client, email = returning_user(stack)
    client.http.headers["X-Forwarded-For"] = "198.51.100.1"
    page = client.get(stack.ui_url + "/login")
    for attempt in range(3):
        page = page.submit({"identifier": email, "password": f"wrong-Password-{attempt}"}, button="Sign in")
        assert page.status == 400
    refused = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert_too_many(refused, email, "")
    time.sleep(int(refused.resp.headers["Retry-After"]) + 0.5)
    home = refused.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert f"Signed in as {email}" in home.text


def test_one_accounts_lockout_leaves_another_account_on_the_same_address_alone(short_window):
    stack = short_window
    alice, alice_email = returning_user(stack)
    bob, bob_email = returning_user(stack)
    for client in (alice, bob):
        client.http.headers["X-Forwarded-For"] = "198.51.100.2"
    for attempt in range(3):
        sign_in(alice, stack, alice_email, f"wrong-Password-{attempt}")
    assert_too_many(sign_in(alice, stack, alice_email), alice_email, "")
    assert f"Signed in as {bob_email}" in sign_in(bob, stack, bob_email).text


def test_one_address_trying_many_accounts_is_limited_and_others_are_not(short_window):
    stack = short_window
    crowd = from_address("203.0.113.50")
    for _ in range(6):
        assert sign_in(crowd, stack, new_email(), "guess-Passw0rd").status == 400
    before = kratos_requests(stack, "POST", "/self-service/login")
    target = new_email()
    assert_too_many(sign_in(crowd, stack, target, "guess-Passw0rd"), target, "")
    assert kratos_requests(stack, "POST", "/self-service/login") == before
    assert sign_in(from_address("203.0.113.51"), stack, target, "guess-Passw0rd").status == 400


def test_recovery_requests_beyond_the_limit_send_no_mail(stack):
    client, email = returning_user(stack)
    _, start = wait_for_code(stack.maildir, email)  # sign-up's verification mail
    for _ in range(5):
        page = client.get(stack.ui_url + "/recovery").submit({"email": email}, button="Continue")
        assert page.status == 200 and "recovery code has been sent" in page.text
    refused = client.get(stack.ui_url + "/recovery").submit({"email": email}, button="Continue")
    assert refused.status == 429
    assert any("Try again in about" in text for _, text in refused.messages)
    assert refused.form("Continue").inputs["email"]["value"] == email
    _, sent = wait_for_code(stack.maildir, email, seen=start + 4)
    time.sleep(1)  # a sixth mail would have arrived by now
    assert sent == start + 5
    assert sum(1 for m in read_mails(stack.maildir) if email in str(m["to"])) == start + 5
