"""In Chromium: a password change after the privileged window, and recovery by code."""

import re
import time

from playwright.sync_api import expect

from browser.steps import PASSWORD, expect_home, new_email, sign_in, sign_out, sign_up
from mailsink import wait_for_code
from support import PRIVILEGED


def test_password_change_after_the_privileged_window_completes_after_reauthenticating(short_privilege, page):
    stack = short_privilege
    email = new_email("priv")
    sign_up(page, stack, email)
    page.goto(stack.ui_url + "/settings")
    time.sleep(PRIVILEGED + 1)
    password_form = page.locator("#group-password")
    password_form.get_by_label("Password").fill("Changed-after-1")
    password_form.get_by_role("button", name="Change password").click()

    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.locator("#lead-account")).to_have_text(email)
    expect(page.locator("main").get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/settings\?flow="))
    expect(page.get_by_text("Your changes have been saved!")).to_be_visible()

    sign_out(page, stack)
    sign_in(page, stack, email, "Changed-after-1")
    expect_home(page, stack, email)


def test_recovery_by_code_then_a_new_password(stack, page):
    email = new_email("recover")
    sign_up(page, stack, email)
    _, mails = wait_for_code(stack.maildir, email)
    page.context.clear_cookies()

    page.goto(stack.ui_url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("recovery code has been sent")).to_be_visible()

    page.get_by_label("Recovery code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".msg-error")).to_contain_text("invalid or has already been used")

    code, _ = wait_for_code(stack.maildir, email, seen=mails)
    page.get_by_label("Recovery code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/settings\?flow="))
    expect(page.get_by_text("You successfully recovered your account")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    expect(page.locator("form.group")).to_have_count(1)

    password_form = page.locator("#group-password")
    password_form.get_by_label("Password").fill("Recovered-passw0rd")
    password_form.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your changes have been saved!")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, stack, email, "Recovered-passw0rd")
    expect_home(page, stack, email)
