"""In Chromium: the header's Sign out is one click (a POST), and while a second factor is owed the
header offers to finish signing in or sign out, never "Sign in / Create account"."""

import re

from playwright.sync_api import expect

from browser.steps import expect_home, new_email, sign_in, sign_out, sign_up
from browser.test_second_factors import enrol_totp
from support import totp


def test_header_sign_out_is_one_click(stack, page):
    email = new_email("header")
    sign_up(page, stack, email)
    page.goto(stack.ui_url + "/")
    with page.expect_request(lambda r: r.url == stack.ui_url + "/logout") as sent:
        page.locator("header").get_by_role("button", name="Sign out").click()
    assert sent.value.method == "POST"
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    page.goto(stack.ui_url + "/")
    expect(page.get_by_text("You are not signed in.")).to_be_visible()


def test_header_while_a_second_factor_is_owed(stack, page):
    email = new_email("header-2fa")
    sign_up(page, stack, email)
    secret = enrol_totp(page, stack)
    sign_out(page, stack)
    sign_in(page, stack, email)
    expect(page.get_by_label("Authentication code")).to_be_visible()

    page.goto(stack.ui_url + "/")
    header = page.locator("header")
    expect(header.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(header.get_by_role("link", name="Create account")).to_have_count(0)
    header.get_by_role("link", name="Finish signing in").click()
    page.get_by_label("Authentication code").fill(totp(secret))
    page.get_by_role("button", name="Use Authenticator").click()
    expect_home(page, stack, email, aal="aal2")

    sign_out(page, stack)
    sign_in(page, stack, email)
    expect(page.get_by_label("Authentication code")).to_be_visible()
    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    expect(page.locator("header").get_by_role("link", name="Sign in")).to_be_visible()
