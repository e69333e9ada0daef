"""Second factors without JavaScript: aal2 step-up, its hops, sign-out, TOTP and email codes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from formclient import FormClient
from mailsink import wait_for_code
from support import LOGIN_CODE_SENT, new_email, sign_in, sign_out, sign_up, totp


def with_totp(stack) -> tuple[FormClient, str, str]:
    """A signed-out user with an authenticator app: (client, email, secret)."""
    email = new_email()
    client, _ = sign_up(stack, email)
    settings = client.get(stack.ui_url + "/settings")
    secret = re.search(r'id="group-totp".*?<code>([A-Z2-7]+)</code>', settings.resp.text, re.S).group(1)
    saved = settings.submit({"totp_code": totp(secret)}, button="Verify and turn on", form_id="group-totp")
    assert "Your changes have been saved!" in saved.text
    # Having turned it on, the user is offered backup codes for when the phone is lost.
    assert "Next, create backup codes in case you lose your phone." in saved.text
    sign_out(client, stack)
    return client, email, secret


def test_an_aal1_session_reaches_the_aal2_form_in_at_most_three_hops(stack):
    client, email, secret = with_totp(stack)
    first_factor = sign_in(client, stack, email)
    assert "Second factor" in first_factor.text
    url, requests_made = stack.ui_url + "/settings", 0
    while True:
        resp = client.http.get(url, allow_redirects=False)
        requests_made += 1
        if resp.status_code not in (301, 302, 303, 307, 308):
            break
        url = urljoin(url, resp.headers["Location"])
        assert requests_made < 10, "redirect loop"
    assert requests_made <= 3 and resp.status_code == 200
    assert "Second factor" in resp.text and 'name="totp_code"' in resp.text
    page = client.get(url)
    back = page.submit({"totp_code": totp(secret)}, button="Use Authenticator")
    assert urlsplit(back.url).path == "/settings"  # return_to kept through the step-up


def test_second_factor_page_offers_sign_out(stack):
    client, email, _ = with_totp(stack)
    page = sign_in(client, stack, email)
    out = page.submit(button="Sign out")
    assert urlsplit(out.url).path == "/login" and "Second factor" not in out.text
    assert "You are not signed in" in client.get(stack.ui_url + "/").text


def test_home_offers_to_finish_signing_in(stack):
    client, email, _ = with_totp(stack)
    sign_in(client, stack, email)
    home = client.get(stack.ui_url + "/")
    link = re.search(r'href="([^"]+)" id="finish-sign-in"', home.resp.text).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query).get("aal") == ["aal2"]
    assert "Second factor" in client.get(link).text


def test_email_code_sign_in_without_javascript(stack):
    email = new_email()
    client, _ = sign_up(stack, email)
    _, mails = wait_for_code(stack.maildir, email)
    sign_out(client, stack)
    page = client.get(stack.ui_url + "/login").submit({"identifier": email}, button="Send sign in code")
    assert LOGIN_CODE_SENT in page.message_ids
    code, _ = wait_for_code(stack.maildir, email, seen=mails)
    wrong = page.submit({"code": "000000"}, button="Continue")
    assert any(kind == "error" for kind, _ in wrong.messages)
    home = wrong.submit({"code": code}, button="Continue")
    assert f"Signed in as {email}" in home.text


def test_email_code_sign_up_signs_the_user_in(stack):
    email = new_email()
    client = FormClient()
    step = client.get(stack.ui_url + "/registration").submit({"traits.email": email}, button="Sign up")
    sent = step.submit(button="Send sign up code")
    assert "code" in sent.text.lower() and sent.form("Continue")
    code, _ = wait_for_code(stack.maildir, email)
    done = sent.submit({"code": code}, button="Continue")
    assert f"Signed in as {email}" in client.get(stack.ui_url + "/").text, done.text[:300]


def test_passkey_and_security_key_pages_need_javascript_and_say_so(stack):
    page = FormClient().get(stack.ui_url + "/login")
    assert "Passkeys and security keys need JavaScript." in page.resp.text.split("<noscript>")[1]
    assert page.form("Sign in with password")  # the rest works without it
