"""With the keyboard alone (Tab, Shift+Tab, Enter, Space): sign up, set up TOTP, sign out, sign in
with the second factor and change the password. Focus can be seen on every stop."""

import re

from playwright.sync_api import expect

from browser.keyboard import press, type_into
from browser.steps import PASSWORD, new_email
from support import totp

# Shares nothing with the "keyboard-<hex>@example.com" address: Kratos refuses a password whose
# longest run in common with the identifier is over half its length ("keyboard-c" was, 1 run in 16).
NEW_PASSWORD = "Tab-and-Space-only-42"


def test_sign_up_totp_sign_in_and_password_change_by_keyboard(stack, page):
    email = new_email("keyboard")
    page.goto(stack.ui_url + "/registration")
    type_into(page, "Email", email)
    press(page, "Sign up")
    expect(page.get_by_label("Password")).to_be_visible()
    type_into(page, "Password", PASSWORD)
    press(page, "Sign up")
    expect(page).to_have_url(re.compile(r"/verification\?flow="))

    press(page, "Settings")
    expect(page).to_have_url(re.compile(r"/settings\?flow="))
    expect(page.locator("#totp_secret_key")).to_be_hidden()  # until asked for
    press(page, "Add authenticator app")  # the disclosure opens with Enter
    expect(page.locator("#totp_secret_key")).to_be_visible()
    secret = page.locator("#totp_secret_key code").inner_text().strip()
    type_into(page, "Verify code", totp(secret))
    press(page, "Verify and turn on", key="Space")
    expect(page.get_by_text("Your changes have been saved!").first).to_be_visible()
    expect(page.locator("#totp_secret_key")).to_have_count(0)  # enrolled: no secret offered any more

    press(page, "Sign out")  # the header's: one press, one POST
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    type_into(page, "Email", email)
    type_into(page, "Password", PASSWORD)
    press(page, "Sign in with password")
    expect(page.get_by_label("Authentication code")).to_be_visible()
    type_into(page, "Authentication code", totp(secret))
    press(page, "Use Authenticator")
    expect(page).to_have_url(stack.ui_url + "/")
    expect(page.locator("#aal")).to_have_text("aal2")

    press(page, "Settings")
    expect(page).to_have_url(re.compile(r"/settings\?flow="))
    type_into(page, "Password", NEW_PASSWORD)
    press(page, "Change password")
    expect(page.get_by_text("Your changes have been saved!").first).to_be_visible()

    press(page, "Sign out")
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    type_into(page, "Email", email)
    type_into(page, "Password", NEW_PASSWORD)
    press(page, "Sign in with password")
    expect(page.get_by_label("Authentication code")).to_be_visible()  # the new password was accepted
