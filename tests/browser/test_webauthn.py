"""In Chromium with a virtual authenticator (CDP WebAuthn domain): passkeys and
security keys. WebAuthn needs a domain, so this stack runs on localhost."""

import re

import pytest
from playwright.sync_api import expect

from browser.conftest import add_virtual_authenticator
from browser.steps import expect_home, new_email, sign_in, sign_out, sign_up
from conftest import running_stack


@pytest.fixture(scope="module")
def on_localhost(tmp_path_factory, kratos_bin):
    with running_stack(tmp_path_factory, "webauthn", host="localhost") as stack:
        yield stack


def passkey_sign_up(page, stack, email):
    page.goto(stack.ui_url + "/registration")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Sign up", exact=True).click()
    page.get_by_role("button", name="Sign up with passkey").click()
    expect(page).to_have_url(re.compile(r"/verification\?flow="))


def test_passkey_sign_up_then_sign_in(on_localhost, page, authenticator):
    email = new_email("passkey")
    passkey_sign_up(page, on_localhost, email)
    page.goto(on_localhost.ui_url + "/")
    expect_home(page, on_localhost, email)
    sign_out(page, on_localhost)

    page.goto(on_localhost.ui_url + "/login")
    expect(page.locator("#group-passkey legend")).to_have_text("Sign in with a passkey")
    page.get_by_role("button", name="Sign in with passkey").click()
    expect_home(page, on_localhost, email)


def test_passkey_autofill_signs_in(on_localhost, page):
    add_virtual_authenticator(page)  # autofill left on
    email = new_email("autofill")
    passkey_sign_up(page, on_localhost, email)
    page.goto(on_localhost.ui_url + "/logout")
    before = session_cookie(page)
    # Sign-out lands on the login page, whose load trigger offers the passkey as autofill;
    # the virtual authenticator accepts at once, so the user may never see that page.
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect_home(page, on_localhost, email)
    assert session_cookie(page) not in (None, before)  # a new session: signed out, then in by passkey


def session_cookie(page):
    return next((c["value"] for c in page.context.cookies() if c["name"] == "ory_kratos_session"), None)


def test_passkey_and_security_key_added_and_removed_in_settings(on_localhost, page, authenticator):
    email = new_email("keys")
    sign_up(page, on_localhost, email)
    page.goto(on_localhost.ui_url + "/settings")
    page.locator("#group-passkey").get_by_role("button", name="Add passkey").click()
    expect(page.locator("#group-passkey")).to_contain_text("Your changes have been saved!")
    page.locator("#group-webauthn").get_by_label("Name of the security key").fill("Blue key")
    page.locator("#group-webauthn").get_by_role("button", name="Add security key").click()
    expect(page.locator("#group-webauthn")).to_contain_text("Your changes have been saved!")

    remove_key = page.locator("#group-webauthn summary")
    expect(remove_key).to_contain_text(re.compile("Remove security key.*Blue key"))
    remove_key.click()
    page.locator("#group-webauthn").get_by_role("button", name="Yes, remove this key").click()
    expect(page.locator("#group-webauthn")).to_contain_text("Your changes have been saved!")
    expect(page.locator("#group-webauthn summary")).to_have_count(0)
    remove_passkey = page.locator("#group-passkey summary")
    expect(remove_passkey).to_have_count(1)
    remove_passkey.click()
    page.locator("#group-passkey").get_by_role("button", name="Yes, remove this passkey").click()
    expect(page.locator("#group-passkey summary")).to_have_count(0)


def test_security_key_as_second_factor(on_localhost, page, authenticator):
    email = new_email("2fa-key")
    sign_up(page, on_localhost, email)
    page.goto(on_localhost.ui_url + "/settings")
    page.locator("#group-webauthn").get_by_label("Name of the security key").fill("Desk key")
    page.locator("#group-webauthn").get_by_role("button", name="Add security key").click()
    expect(page.locator("#group-webauthn")).to_contain_text("Your changes have been saved!")
    sign_out(page, on_localhost)

    sign_in(page, on_localhost, email)
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    expect(page.locator("#group-webauthn legend")).to_have_text("Use a security key")
    page.get_by_role("button", name="Sign in with hardware key").click()
    expect_home(page, on_localhost, email, aal="aal2")


def test_without_webauthn_the_buttons_say_so(on_localhost, page):
    page.add_init_script("delete window.PublicKeyCredential")
    page.goto(on_localhost.ui_url + "/login")
    button = page.get_by_role("button", name="Sign in with passkey")
    expect(button).to_be_disabled()
    expect(page.locator(".webauthn-note")).to_have_text("This browser does not support passkeys or security keys.")
    # Everything else still works.
    expect(page.get_by_role("button", name="Sign in with password")).to_be_enabled()
