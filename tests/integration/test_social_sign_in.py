"""Social sign-in (Kratos's oidc method) through a real OpenID Connect provider: a second Hydra
with its test login app (tests/upstream_idp.py), without JavaScript."""

from __future__ import annotations

from urllib.parse import urlsplit

import html5lib
import requests

from formclient import FormClient, Page
from support import PASSWORD, new_email, returning_user, sign_in, sign_out
from upstream_idp import PROVIDER_LABEL

# Kratos: "You tried to sign in with …, but that email is already used by another account. …"
LINK_FIRST = 1010016


def doc(page: Page):
    return html5lib.parse(page.resp.text, namespaceHTMLElements=False)


def press_provider(page: Page, label: str = PROVIDER_LABEL) -> Page:
    """Press the provider's button; follow our "continue" page to the provider and back."""
    after = page.submit(button=label)
    link = doc(after).find(".//a[@id='continue']")
    if link is not None:  # the UI's own page to leave for the provider (off the CSP form-action list)
        after = page.client.get(link.get("href"))
    return after


def whoami(stack, client: FormClient) -> dict:
    return client.http.get(stack.public_url + "/sessions/whoami", timeout=5).json()


def test_sign_in_offers_the_provider_by_name(oidc_stack):
    stack, _ = oidc_stack
    for path in ("/login", "/registration"):
        page = FormClient().get(stack.ui_url + path)
        group = doc(page).find(".//form[@id='group-oidc']")
        assert group is not None, path
        buttons = {"".join(b.itertext()).strip(): b.get("value") for b in group.iter("button")}
        assert any(PROVIDER_LABEL in text for text in buttons), buttons
        assert "upstream" in buttons.values()


def test_a_new_user_signs_up_with_the_provider(oidc_stack):
    stack, upstream = oidc_stack
    email = new_email()
    upstream.sign_in_as(email)
    client = FormClient()
    done = press_provider(client.get(stack.ui_url + "/login"))
    assert done.status == 200 and urlsplit(done.url).netloc == urlsplit(stack.ui_url).netloc, done.url
    assert whoami(stack, client).get("identity", {}).get("traits", {}).get("email") == email, done.url


def test_an_email_with_a_password_account_is_linked_after_signing_in_with_the_password(oidc_stack):
    stack, upstream = oidc_stack
    client, email = returning_user(stack)
    upstream.sign_in_as(email)
    asked = press_provider(client.get(stack.ui_url + "/login"))
    assert urlsplit(asked.url).path == "/login", asked.url
    # The page says what to do: sign in with the existing password to link the provider.
    assert doc(asked).find(".//h1").text == f"Link {PROVIDER_LABEL} to your account"
    notice = " ".join(t for kind, t in asked.messages)
    assert "already used by another account" in notice and PROVIDER_LABEL in notice, asked.messages
    form = asked.form("Sign in")
    assert form.inputs["identifier"].get("value") == email
    linked = asked.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert linked.status == 200
    identity = whoami(stack, client)["identity"]
    credentials = requests.get(
        f"{stack.admin_url}/admin/identities/{identity['id']}", params={"include_credential": "oidc"}, timeout=5
    ).json()["credentials"]
    assert "oidc" in credentials and "password" in credentials

    # From now on the provider alone signs this account in.
    sign_out(client, stack)
    again = press_provider(client.get(stack.ui_url + "/login"))
    assert whoami(stack, client)["identity"]["id"] == identity["id"], again.url


def test_settings_shows_the_linked_account_and_unlinks_it(oidc_stack):
    stack, upstream = oidc_stack
    client, email = returning_user(stack)
    upstream.sign_in_as(email)
    asked = press_provider(client.get(stack.ui_url + "/login"))
    asked.submit({"identifier": email, "password": PASSWORD}, button="Sign in")

    settings = client.get(stack.ui_url + "/settings")
    group = doc(settings).find(".//form[@id='group-oidc']")
    assert group is not None
    unlink = [b for b in group.iter("button") if b.get("name") == "unlink"]
    assert [b.get("value") for b in unlink] == ["upstream"]
    after = settings.submit(button=next("".join(b.itertext()).strip() for b in unlink), form_id="group-oidc")
    assert after.status == 200
    group = doc(client.get(stack.ui_url + "/settings")).find(".//form[@id='group-oidc']")
    assert [b.get("value") for b in group.iter("button") if b.get("name") == "link"] == ["upstream"]
    assert not [b for b in group.iter("button") if b.get("name") == "unlink"]
    # The password still signs in.
    sign_out(client, stack)
    assert sign_in(client, stack, email).url == stack.ui_url + "/"
