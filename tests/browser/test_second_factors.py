"""In Chromium: TOTP, backup codes, email-code sign-in and aal2 step-up."""

import re

from playwright.sync_api import expect

from browser.steps import expect_home, new_email, sign_in, sign_out, sign_up
from mailsink import wait_for_code
from support import LOGIN_CODE_SENT, totp


def enrol_totp(page, stack) -> str:
    """Set up an authenticator app in settings; returns its secret."""
    page.goto(stack.ui_url + "/settings")
    section = page.locator("#group-totp")
    expect(section.locator("img")).to_be_hidden()  # only once the user asks for it
    section.get_by_text("Add authenticator app").click()
    expect(section.locator("img")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    secret = section.locator("code").inner_text().strip()
    section.get_by_label("Verify code").fill("000000")
    section.get_by_role("button", name="Verify and turn on").click()
    expect(page.locator("#group-totp .msg-error")).to_contain_text("authentication code is invalid")
    page.locator("#group-totp").get_by_label("Verify code").fill(totp(secret))
    page.locator("#group-totp").get_by_role("button", name="Verify and turn on").click()
    expect(page.locator("#group-totp")).to_contain_text("Your changes have been saved!")
    expect(page.locator("#group-totp summary")).to_have_text("Unlink TOTP Authenticator App")
    return secret


def test_totp_enrol_then_sign_in_with_totp_and_unlink(stack, page):
    email = new_email("totp")
    sign_up(page, stack, email)
    secret = enrol_totp(page, stack)
    sign_out(page, stack)

    sign_in(page, stack, email)
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    expect(page.locator("main").get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_label("Authentication code").fill("000000")
    page.get_by_role("button", name="Use Authenticator").click()
    expect(page.locator(".msg-error")).to_contain_text("authentication code is invalid")
    page.get_by_label("Authentication code").fill(totp(secret))
    page.get_by_role("button", name="Use Authenticator").click()
    expect_home(page, stack, email, aal="aal2")

    page.goto(stack.ui_url + "/settings")
    page.locator("#group-totp summary").click()
    page.locator("#group-totp").get_by_role("button", name="Yes, unlink the app").click()
    expect(page.locator("#group-totp")).to_contain_text("Your changes have been saved!")
    sign_out(page, stack)
    sign_in(page, stack, email)
    expect_home(page, stack, email)  # no second factor any more


def test_backup_codes_generate_confirm_sign_in_with_one_and_never_again(stack, page):
    email = new_email("backup")
    sign_up(page, stack, email)
    page.goto(stack.ui_url + "/settings")
    page.get_by_role("button", name="Generate new backup recovery codes").click()
    # Read the codes only once the new page is there (all_inner_texts does not wait).
    expect(page.get_by_role("button", name="Confirm backup recovery codes")).to_be_visible()
    codes = page.locator("#group-lookup_secret ul.secrets li").all_inner_texts()
    assert len(codes) >= 6 and all(re.fullmatch(r"[a-z0-9]{8}", c.strip()) for c in codes)
    page.get_by_role("button", name="Confirm backup recovery codes").click()
    expect(page.locator("#group-lookup_secret")).to_contain_text("Your changes have been saved!")

    page.get_by_role("button", name="Reveal backup recovery codes").click()
    expect(page.locator("#group-lookup_secret ul.secrets")).to_contain_text(codes[0].strip())
    sign_out(page, stack)

    sign_in(page, stack, email)
    page.get_by_label("Backup recovery code").fill(codes[0].strip())
    page.get_by_role("button", name="Use backup recovery code").click()
    expect_home(page, stack, email, aal="aal2")
    sign_out(page, stack)

    sign_in(page, stack, email)
    page.get_by_label("Backup recovery code").fill(codes[0].strip())
    page.get_by_role("button", name="Use backup recovery code").click()
    expect(page.locator(".msg-error")).to_contain_text("already been used")
    page.get_by_label("Backup recovery code").fill(codes[1].strip())
    page.get_by_role("button", name="Use backup recovery code").click()
    expect_home(page, stack, email, aal="aal2")

    # Later: reveal, then regenerate; the old codes stop working once the new ones are confirmed.
    page.goto(stack.ui_url + "/settings")
    page.get_by_role("button", name="Reveal backup recovery codes").click()
    page.get_by_role("button", name="Generate new backup recovery codes").click()
    expect(page.get_by_role("button", name="Confirm backup recovery codes")).to_be_visible()
    fresh = page.locator("#group-lookup_secret ul.secrets li").all_inner_texts()
    assert len(fresh) == len(codes) and set(fresh).isdisjoint(codes)
    page.get_by_role("button", name="Confirm backup recovery codes").click()
    expect(page.locator("#group-lookup_secret")).to_contain_text("Your changes have been saved!")
    sign_out(page, stack)
    sign_in(page, stack, email)
    page.get_by_label("Backup recovery code").fill(codes[2].strip())
    page.get_by_role("button", name="Use backup recovery code").click()
    expect(page.locator(".msg-error")).to_be_visible()
    page.get_by_label("Backup recovery code").fill(fresh[0].strip())
    page.get_by_role("button", name="Use backup recovery code").click()
    expect_home(page, stack, email, aal="aal2")

    page.goto(stack.ui_url + "/settings")
    page.locator("#group-lookup_secret summary").click()
    page.get_by_role("button", name="Yes, turn off backup codes").click()
    expect(page.locator("#group-lookup_secret")).to_contain_text("Your changes have been saved!")
    expect(page.get_by_role("button", name="Generate new backup recovery codes")).to_be_visible()


def test_email_code_sign_in_with_a_wrong_code_and_a_resend(stack, page):
    email = new_email("code")
    sign_up(page, stack, email)
    _, mails = wait_for_code(stack.maildir, email)
    sign_out(page, stack)

    page.goto(stack.ui_url + "/login")
    expect(page.locator("#group-code legend")).to_have_text("Email me a code")
    page.locator("#group-code").get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Send sign in code").click()
    # Kratos words it differently by version; its message id is the same.
    code_sent = page.locator(f'[data-message-id="{LOGIN_CODE_SENT}"]')
    expect(code_sent).to_be_visible()
    _, mails = wait_for_code(stack.maildir, email, seen=mails)
    with page.expect_navigation():  # the resent page, not the one before it
        page.get_by_role("button", name="Resend code").click()
    expect(code_sent).to_be_visible()
    code, _ = wait_for_code(stack.maildir, email, seen=mails)

    page.get_by_label("Login code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".msg-error")).to_contain_text("invalid")
    page.get_by_label("Login code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect_home(page, stack, email)


def test_aal2_step_up_brings_the_user_back_where_they_were(stack, page):
    email = new_email("stepup")
    sign_up(page, stack, email)
    secret = enrol_totp(page, stack)
    sign_out(page, stack)
    sign_in(page, stack, email)  # aal1 now, a second factor owed
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()

    page.goto(stack.ui_url + "/sessions")  # a page that needs the session
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.get_by_label("Authentication code").fill(totp(secret))
    page.get_by_role("button", name="Use Authenticator").click()
    expect(page).to_have_url(stack.ui_url + "/sessions")
    expect(page.locator("tr.current")).to_contain_text("Password + authenticator app")
