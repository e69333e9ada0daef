"""What a person does in the browser, shared by the browser tests."""

import re

from playwright.sync_api import expect

from mailsink import wait_for_code
from support import PASSWORD, new_email

__all__ = ["PASSWORD", "expect_home", "new_email", "sign_in", "sign_out", "sign_up"]


def sign_up(page, stack, email: str, password: str = PASSWORD) -> None:
    """Register with a password; ends on the verification page Kratos offers, once its mail is out.

    Kratos's courier marks the mail sent in its database just after sending it. On in-memory
    SQLite that write can collide with a settings change made at the same moment, and Kratos
    answers the change with its "concurrent update" error: the next steps wait it out."""
    page.goto(stack.ui_url + "/registration")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Sign up", exact=True).click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/verification\?flow="))
    wait_for_code(stack.maildir, email)


def sign_in(page, stack, email: str, password: str = PASSWORD) -> None:
    page.goto(stack.ui_url + "/login")
    form = page.locator("#group-password")
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in with password").click()


def type_and_enter(page, field, text: str) -> None:
    """Like a person at the keyboard: into the field, type, press Enter."""
    field.focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def sign_out(page, stack) -> None:
    page.goto(stack.ui_url + "/logout")
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?flow="))


def expect_home(page, stack, email: str, aal: str = "aal1") -> None:
    expect(page).to_have_url(stack.ui_url + "/")
    expect(page.locator("#who")).to_have_text(email)
    expect(page.locator("#aal")).to_have_text(aal)
