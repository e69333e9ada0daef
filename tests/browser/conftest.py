"""Browser tests drive Debian's Chromium through Playwright (its own browser
download cannot work here)."""

from __future__ import annotations

import pytest

from support import CHROMIUM, require

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def add_virtual_authenticator(page):
    """A platform authenticator that holds passkeys and verifies the user (CDP WebAuthn domain)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


@pytest.fixture
def authenticator(page):
    """The virtual authenticator, with passkey autofill off: autofill would sign in before any
    click, so tests that click turn it off."""
    cdp = add_virtual_authenticator(page)
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false")
    return cdp


@pytest.fixture(params=[pytest.param(1280, id="desktop"), pytest.param(375, id="phone")])
def sized(request, page):
    """The page at a desktop and at a phone width."""
    page.set_viewport_size({"width": request.param, "height": 800})
    return page
