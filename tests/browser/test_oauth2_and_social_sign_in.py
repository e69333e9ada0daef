"""A person in Chromium: signs up for an app in the middle of its sign-in and consents; signs in
with a social provider (a real OpenID Connect provider: a second Hydra), links it to an existing
password account, and unlinks it in settings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser.steps import PASSWORD, new_email, sign_in, sign_out, sign_up
from demo_app import DemoApp
from stack import free_port
from support import register_oauth2_client
from upstream_idp import PROVIDER_LABEL


@pytest.fixture
def demo_app(oauth2_stack):
    port = free_port()
    client = register_oauth2_client(
        oauth2_stack.hydra.admin_url, f"http://127.0.0.1:{port}/callback", client_name="Recipe Box"
    )
    app = DemoApp(oauth2_stack.hydra.public_url, client["client_id"], client["client_secret"], port).start()
    yield app
    app.stop()


def test_a_new_user_registers_in_the_middle_of_an_apps_sign_in_and_the_app_gets_their_email(
    oauth2_stack, demo_app, page
):
    email = new_email("oauth2")
    page.goto(demo_app.url + "/")
    page.get_by_role("link", name="Sign in with your account").click()
    expect(page).to_have_url(re.compile(re.escape(oauth2_stack.ui_url) + r"/login\?flow="))
    expect(page.locator("#for-app")).to_have_text("Sign in to continue to Recipe Box")

    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/registration\?flow="))
    expect(page.locator("#for-app")).to_have_text("Create an account to continue to Recipe Box")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Sign up", exact=True).click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up", exact=True).click()

    expect(page).to_have_url(re.compile(r"/consent\?consent_challenge="))
    expect(page.locator("#app-name")).to_have_text("Recipe Box")
    expect(page.locator("#consent-account")).to_have_text(email)
    expect(page.locator("#scopes li")).to_have_text(
        [
            "Know who you are (your account's identifier)",
            "Stay connected while you are away (it can refresh its access)",
            "See your email address",
        ]
    )
    page.get_by_role("button", name="Allow").click()

    # Back at the app (Chrome followed the redirects after the post: form-action covers them).
    expect(page).to_have_url(re.compile(re.escape(demo_app.url) + r"/callback\?"))
    expect(page.locator("#email")).to_have_text(email)


def press_provider(page) -> None:
    page.get_by_role("button", name=re.compile(PROVIDER_LABEL)).click()


def test_social_sign_up_then_linking_and_unlinking(oidc_stack, page):
    stack, upstream = oidc_stack
    # A new person: the provider alone creates the account and signs them in.
    newcomer = new_email("social")
    upstream.sign_in_as(newcomer)
    page.goto(stack.ui_url + "/login")
    press_provider(page)
    expect(page).to_have_url(stack.ui_url + "/")
    expect(page.locator("#who")).to_have_text(newcomer)
    sign_out(page, stack)

    # Someone with a password account: the provider's same email asks them to link it first.
    email = new_email("linked")
    page.goto(stack.ui_url + "/registration")  # the provider beside one email box, not two
    expect(page.get_by_label("Email", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile(PROVIDER_LABEL))).to_be_visible()
    sign_up(page, stack, email)
    sign_out(page, stack)
    upstream.sign_in_as(email)
    press_provider(page)
    expect(page.locator("h1")).to_have_text(f"Link {PROVIDER_LABEL} to your account")
    expect(page.get_by_text("already used by another account")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in with password").click()
    expect(page).to_have_url(stack.ui_url + "/")
    sign_out(page, stack)
    page.goto(stack.ui_url + "/login")
    press_provider(page)  # now the provider signs this account in directly
    expect(page).to_have_url(stack.ui_url + "/")
    expect(page.locator("#who")).to_have_text(email)

    # Settings lists the linked provider; unlinking it leaves "link" in its place.
    page.goto(stack.ui_url + "/settings")
    group = page.locator("#group-oidc")
    group.get_by_role("button", name=re.compile("Unlink")).click()
    expect(page.locator("#group-oidc").get_by_role("button", name=re.compile("Link"))).to_be_visible()
    expect(page.locator("#group-oidc").get_by_role("button", name=re.compile("Unlink"))).to_have_count(0)
    sign_out(page, stack)
    sign_in(page, stack, email)
    expect(page).to_have_url(stack.ui_url + "/")
