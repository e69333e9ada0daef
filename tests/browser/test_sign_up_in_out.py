"""A person in Chromium: sign up, see themselves, sign out, sign back in."""

import re

from playwright.sync_api import expect

from browser.steps import PASSWORD, expect_home, new_email


def test_sign_up_see_email_sign_out_and_back_in(stack, page):
    email = new_email("browser")
    page.goto(stack.ui_url + "/")
    page.get_by_role("link", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/registration\?flow="))
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Sign up", exact=True).click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up", exact=True).click()

    expect(page).to_have_url(re.compile(r"/verification\?flow="))
    page.get_by_role("link", name="Skip for now").click()
    expect_home(page, stack, email)

    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    page.goto(stack.ui_url + "/")
    expect(page.get_by_text("You are not signed in")).to_be_visible()

    page.goto(stack.ui_url + "/login")
    form = page.locator("#group-password")
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password").fill("not-the-password")
    form.get_by_role("button", name="Sign in with password").click()
    expect(page.locator("#group-password .msg-error")).to_contain_text("The provided credentials are invalid")
    expect(form.get_by_label("Email", exact=True)).to_have_value(email)

    form.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in with password").click()
    expect_home(page, stack, email)


def test_pages_raise_no_csp_violations(stack, page):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(stack.ui_url + "/login")
    page.goto(stack.ui_url + "/registration")
    page.goto(stack.ui_url + "/")
    assert problems == []
