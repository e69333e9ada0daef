"""A person in Chromium picks a language from the footer: the same page comes back in it, and stays so."""

import re

from playwright.sync_api import expect


def test_picking_german_in_the_footer_translates_this_flow_and_the_next_pages(stack, page):
    page.goto(stack.ui_url + "/login")
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    flow_url = page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("footer").get_by_role("button", name="Deutsch").click()
    expect(page).to_have_url(flow_url)  # the same flow, not a new one
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Mit Passwort anmelden")).to_be_visible()
    expect(page.locator("footer").get_by_role("button", name="Deutsch")).to_have_attribute("aria-pressed", "true")
    page.locator("header").get_by_role("link", name="Konto erstellen").click()
    expect(page).to_have_url(re.compile(r"/registration\?flow="))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Registrieren", exact=True)).to_be_visible()
