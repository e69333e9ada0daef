"""In Chromium at desktop and phone widths: a button's result is a page that reloads without
re-sending anything, signing in again after pressing a POST-only button returns to the page,
and destructive buttons ask first (without JavaScript's help)."""

import re

from playwright.sync_api import expect

from browser.steps import PASSWORD, expect_home, new_email, sign_in, sign_up
from browser.test_second_factors import enrol_totp


def two_sessions(chromium, page, stack):
    """`page` signed in, plus a second browser (another device) signed in as the same person."""
    email = new_email("sessions")
    sign_up(page, stack, email)
    other = chromium.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    phone = other.new_page()
    sign_in(phone, stack, email)
    expect_home(phone, stack, email)
    return email, other, phone


def end_from_the_phone(phone, stack) -> None:
    """On the phone, every other session (the first browser's) is signed out."""
    phone.goto(stack.ui_url + "/sessions")
    phone.get_by_role("button", name="Sign out all other sessions").click()
    expect(phone.locator("#result")).to_have_text("All your other sessions were signed out.")


def other_row(page):
    return page.locator("table.sessions tbody tr:not(.current)")


def test_signing_out_a_session_asks_then_shows_a_reloadable_result(chromium, stack, sized):
    page = sized
    email, other, phone = two_sessions(chromium, page, stack)
    page.goto(stack.ui_url + "/sessions")
    row = other_row(page)
    expect(row).to_have_count(1)
    confirm = row.get_by_role("button", name="Yes, sign it out")
    expect(confirm).to_be_hidden()  # one press is not enough
    row.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("That device will have to sign in again.")
    expect(confirm).to_be_visible()
    confirm.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(stack.ui_url + "/sessions?result=revoked")
    expect(page.locator("#result")).to_have_text("That session was signed out.")
    expect(page.locator("#result")).to_be_focused()  # autofocus lands once the page has rendered
    expect(other_row(page)).to_have_count(0)
    page.reload()  # a GET: no "resubmit the form?", no 405
    expect(page.locator("#result")).to_have_text("That session was signed out.")
    phone.goto(stack.ui_url + "/")
    expect(phone.get_by_text("You are not signed in")).to_be_visible()
    other.close()


def test_sign_out_pressed_after_the_session_ended_returns_to_the_sessions_page(chromium, stack, sized):
    page = sized
    email, other, phone = two_sessions(chromium, page, stack)
    page.goto(stack.ui_url + "/sessions")
    end_from_the_phone(phone, stack)

    row = other_row(page)
    row.locator("summary").click()
    row.get_by_role("button", name="Yes, sign it out").click()
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    form = page.locator("#group-password")
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Password").press("Enter")
    expect(page).to_have_url(stack.ui_url + "/sessions")  # not the POST-only URL (405)
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
    other.close()


def test_the_logout_confirmation_after_the_session_ended_just_signs_out(chromium, stack, sized):
    page = sized
    email, other, phone = two_sessions(chromium, page, stack)
    page.goto(stack.ui_url + "/logout")
    end_from_the_phone(phone, stack)

    page.locator("main").get_by_role("button", name="Sign out").press("Enter")
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    # A plain sign-in page: signing in would not lead back to signing out.
    expect(page.locator("main a[href*='return_to']")).to_have_count(0)
    page.goto(stack.ui_url + "/")
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    other.close()


def test_unlinking_the_app_and_turning_off_backup_codes_ask_first(stack, sized):
    page = sized
    email = new_email("confirm")
    sign_up(page, stack, email)
    enrol_totp(page, stack)
    totp = page.locator("#group-totp")
    ask = totp.locator("summary")
    expect(ask).to_have_text("Unlink TOTP Authenticator App")
    expect(totp.get_by_role("button", name="Yes, unlink the app")).to_be_hidden()
    ask.focus()
    page.keyboard.press("Enter")
    expect(totp).to_contain_text("Signing in will no longer ask for a code from this app.")
    page.reload()  # changed their mind: still linked
    expect(page.locator("#group-totp summary")).to_have_text("Unlink TOTP Authenticator App")
    page.locator("#group-totp summary").press("Enter")
    page.locator("#group-totp").get_by_role("button", name="Yes, unlink the app").press("Enter")
    expect(page.locator("#group-totp")).to_contain_text("Your changes have been saved!")
    expect(page.locator("#group-totp summary")).to_have_text("Add authenticator app")  # off again

    page.get_by_role("button", name="Generate new backup recovery codes").click()
    page.get_by_role("button", name="Confirm backup recovery codes").click()
    codes = page.locator("#group-lookup_secret")
    expect(codes).to_contain_text("Your changes have been saved!")
    expect(codes.get_by_role("button", name="Yes, turn off backup codes")).to_be_hidden()
    codes.locator("summary").press("Enter")
    expect(codes).to_contain_text("Your backup codes will stop working.")
    codes.get_by_role("button", name="Yes, turn off backup codes").press("Enter")
    expect(page.locator("#group-lookup_secret")).to_contain_text("Your changes have been saved!")
    expect(page.get_by_role("button", name="Generate new backup recovery codes")).to_be_visible()
