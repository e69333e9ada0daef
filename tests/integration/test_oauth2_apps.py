"""An app signs its users in through Hydra, with this UI as Hydra's login, consent and logout
app, against the real Hydra and Kratos, without JavaScript: authorization code with PKCE."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import html5lib
import pytest
import requests

from conftest import running_stack
from formclient import FormClient
from integration.test_second_factors import with_totp
from relying_party import CALLBACK, RelyingParty, claims_of, follow, submit
from support import PASSWORD, new_email, register_oauth2_client, returning_user, sign_up

TRUSTED_ID = "first-party-app"
HOOK_SECRET = "token-hook-secret-for-the-tests-0123456789"


@pytest.fixture(scope="module")
def apps_stack(tmp_path_factory, kratos_bin, hydra_bin):
    """Hydra with the token hook on (its secret in a header), a trusted client, sessions of 1h."""
    with running_stack(
        tmp_path_factory,
        "oauth2-apps",
        with_hydra=True,
        kratos_env={"SESSION_LIFESPAN": "1h"},
        token_hook_secret=HOOK_SECRET,
        ui_env={"TRUSTED_CLIENT_IDS": f"some-other-app, {TRUSTED_ID}"},
    ) as stack:
        yield stack


def app(stack, **fields) -> RelyingParty:
    return RelyingParty(
        stack.hydra.public_url,
        register_oauth2_client(stack.hydra.admin_url, CALLBACK, scope="openid offline_access email profile", **fields),
    )


def doc(page):
    return html5lib.parse(page.resp.text, namespaceHTMLElements=False)


def sign_in_for(rp: RelyingParty, client: FormClient, email: str, scope: str = "openid offline_access email"):
    """From the app's authorize URL through the sign-in page: where the browser lands next."""
    arrival = follow(client, "GET", rp.authorize_url(scope))
    assert arrival.page is not None and urlsplit(arrival.page.url).path == "/login", arrival
    return submit(arrival.page, {"identifier": email, "password": PASSWORD}, button="Sign in")


def test_sign_in_consent_code_tokens_userinfo_and_refresh(apps_stack):
    rp = app(apps_stack, client_name="Photo Album")
    client, email = returning_user(apps_stack)
    at_login = follow(client, "GET", rp.authorize_url()).page
    # The sign-in page names the app.
    named = doc(at_login).find(".//p[@id='for-app']")
    assert "Sign in to continue to Photo Album" in " ".join("".join(named.itertext()).split())

    consent = submit(at_login, {"identifier": email, "password": PASSWORD}, button="Sign in").page
    assert urlsplit(consent.url).path == "/consent"
    page = doc(consent)
    assert page.find(".//*[@id='app-name']").text == "Photo Album"
    assert page.find(".//*[@id='consent-account']").text == email
    scopes = {li.get("data-scope"): "".join(li.itertext()).strip() for li in page.findall(".//ul[@id='scopes']/li")}
    assert scopes == {
        "openid": "Know who you are (your account's identifier)",
        "offline_access": "Stay connected while you are away (it can refresh its access)",
        "email": "See your email address",
    }

    back = submit(consent, button="Allow")
    assert back.callback["state"] == rp.state and back.callback["code"]
    tokens = rp.exchange(back.callback["code"])
    assert claims_of(tokens["id_token"])["email"] == email
    assert claims_of(tokens["id_token"])["email_verified"] is False  # not verified yet
    assert rp.userinfo(tokens["access_token"])["email"] == email

    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert rp.userinfo(refreshed.json()["access_token"])["email"] == email


def test_deny_sends_the_app_access_denied(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    consent = sign_in_for(rp, client, email).page
    back = submit(consent, button="Deny")
    assert back.callback["error"] == "access_denied" and back.callback["state"] == rp.state
    assert "code" not in back.callback


def test_a_remembered_decision_is_not_asked_again(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    consent = sign_in_for(rp, client, email).page
    assert submit(consent, {"remember": "1"}, button="Allow").callback["code"]
    # Next time: signed in at Kratos already, the consent is skipped too.
    again = follow(client, "GET", rp.authorize_url())
    if again.page is not None:  # Kratos asks to confirm the sign-in (Hydra's login was not remembered)
        again = submit(again.page, {"identifier": email, "password": PASSWORD}, button="Sign in")
    assert again.callback.get("code"), again.page and again.page.text[:300]
    tokens = rp.exchange(again.callback["code"])
    assert claims_of(tokens["id_token"])["email"] == email


def test_without_remember_the_question_comes_again(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    assert submit(sign_in_for(rp, client, email).page, button="Allow").callback["code"]
    again = follow(client, "GET", rp.authorize_url())
    if again.page is not None and urlsplit(again.page.url).path == "/login":
        again = submit(again.page, {"identifier": email, "password": PASSWORD}, button="Sign in")
    assert again.page is not None and urlsplit(again.page.url).path == "/consent"


def test_a_trusted_client_skips_the_consent_page(apps_stack):
    rp = app(apps_stack, client_id=TRUSTED_ID)
    client, email = returning_user(apps_stack)
    back = sign_in_for(rp, client, email)
    assert back.callback.get("code"), back.page and back.page.url
    assert claims_of(rp.exchange(back.callback["code"])["id_token"])["email"] == email


def test_a_client_with_skip_consent_skips_the_consent_page(apps_stack):
    rp = app(apps_stack, skip_consent=True)
    client, email = returning_user(apps_stack)
    assert sign_in_for(rp, client, email).callback.get("code")


def test_an_aal2_account_passes_its_second_factor_inside_the_dance(apps_stack):
    from support import totp

    client, email, secret = with_totp(apps_stack)  # signed out
    rp = app(apps_stack)
    second = sign_in_for(rp, client, email).page
    assert second is not None and urlsplit(second.url).path == "/login", second
    assert "Second factor" in second.text
    consent = submit(second, {"totp_code": totp(secret)}, button="Use Authenticator").page
    assert consent is not None and urlsplit(consent.url).path == "/consent", consent and consent.text[:300]
    back = submit(consent, button="Allow")
    assert claims_of(rp.exchange(back.callback["code"])["id_token"])["email"] == email


def test_a_new_user_registers_in_the_middle_and_ends_back_at_the_app(apps_stack):
    rp = app(apps_stack, client_name="Notes")
    client, email = FormClient(), new_email()
    at_login = follow(client, "GET", rp.authorize_url()).page
    link = next(a.get("href") for a in doc(at_login).iter("a") if a.text == "Create an account")
    challenge = parse_qs(urlsplit(at_login.url).query).get("login_challenge") or [
        parse_qs(urlsplit(link).query)["login_challenge"][0]
    ]
    assert parse_qs(urlsplit(link).query)["login_challenge"] == challenge
    registration = follow(client, "GET", apps_stack.ui_url + link).page
    assert "Create an account to continue to Notes" in registration.text
    step2 = registration.submit({"traits.email": email}, button="Sign up")
    consent = submit(step2, {"password": PASSWORD}, button="Sign up").page
    assert consent is not None and urlsplit(consent.url).path == "/consent", consent.url
    back = submit(consent, button="Allow")
    assert claims_of(rp.exchange(back.callback["code"])["id_token"])["email"] == email


def test_the_headers_links_keep_the_apps_sign_in(apps_stack):
    rp = app(apps_stack, client_name="Tasks")
    client = FormClient()
    at_login = follow(client, "GET", rp.authorize_url()).page
    header = doc(at_login).find(".//header")
    links = {"".join(a.itertext()).strip(): a.get("href") for a in header.iter("a")}
    challenges = {
        name: parse_qs(urlsplit(links[name]).query).get("login_challenge") for name in ("Sign in", "Create account")
    }
    assert challenges["Sign in"] and challenges["Sign in"] == challenges["Create account"]
    registration = follow(client, "GET", apps_stack.ui_url + links["Create account"]).page
    assert "Create an account to continue to Tasks" in registration.text


def kratos_session(stack, session_id: str) -> dict:
    return requests.get(f"{stack.admin_url}/admin/sessions/{session_id}", timeout=5).json()


def whoami(stack, client: FormClient) -> requests.Response:
    return client.http.get(stack.public_url + "/sessions/whoami", timeout=5)


def test_refreshing_a_token_extends_the_kratos_session_that_consented(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    tokens = rp.exchange(submit(sign_in_for(rp, client, email).page, button="Allow").callback["code"])
    session = whoami(apps_stack, client).json()
    before = kratos_session(apps_stack, session["id"])["expires_at"]
    time.sleep(1.5)
    assert rp.refresh(tokens["refresh_token"]).status_code == 200
    after = kratos_session(apps_stack, session["id"])["expires_at"]
    assert datetime.fromisoformat(after.replace("Z", "+00:00")) > datetime.fromisoformat(before.replace("Z", "+00:00"))


def test_the_token_hook_refuses_a_caller_without_the_secret(apps_stack):
    url = apps_stack.ui_url + "/oauth2/token-hook"
    body = {"session": {"extra": {}}, "request": {"grant_types": ["refresh_token"]}}
    assert requests.post(url, json=body, timeout=5).status_code == 401
    assert requests.post(url, json=body, headers={"X-Token-Hook-Secret": "wrong"}, timeout=5).status_code == 401


def test_oauth2_logout_ends_the_hydra_and_the_kratos_session(apps_stack):
    rp = app(apps_stack, post_logout_redirect_uris=["http://127.0.0.1:9/signed-out"])
    client, email = returning_user(apps_stack)
    tokens = rp.exchange(submit(sign_in_for(rp, client, email).page, button="Allow").callback["code"])
    assert whoami(apps_stack, client).status_code == 200
    logout = follow(
        client,
        "GET",
        f"{rp.hydra_public_url}/oauth2/sessions/logout?"
        + requests.compat.urlencode(
            {
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "http://127.0.0.1:9/signed-out",
                "state": "bye",
            }
        ),
        redirect_uri="http://127.0.0.1:9/signed-out",
    )
    assert logout.page is not None and urlsplit(logout.page.url).path == "/oauth2/logout"
    done = submit(logout.page, button="Sign out", redirect_uri="http://127.0.0.1:9/signed-out")
    assert done.callback == {"state": "bye"}
    assert whoami(apps_stack, client).status_code == 401  # Kratos's session is gone
    # Hydra's too: the app's next sign-in asks for the password again.
    again = follow(client, "GET", rp.authorize_url())
    assert again.page is not None and urlsplit(again.page.url).path == "/login"
    assert again.page.form("Sign in").inputs.get("password") is not None


def test_staying_signed_in_keeps_both_sessions(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    tokens = rp.exchange(submit(sign_in_for(rp, client, email).page, button="Allow").callback["code"])
    logout = follow(client, "GET", f"{rp.hydra_public_url}/oauth2/sessions/logout?id_token_hint={tokens['id_token']}")
    stay = submit(logout.page, button="Stay signed in")
    assert stay.page is not None and urlsplit(stay.page.url).path == "/"
    assert whoami(apps_stack, client).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/consent",
        "/consent?consent_challenge=not-a-real-challenge",
        "/oauth2/logout",
        "/oauth2/logout?logout_challenge=not-a-real-challenge",
    ],
)
def test_a_missing_or_unknown_challenge_gets_a_clear_page(apps_stack, path):
    page = FormClient().get(apps_stack.ui_url + path)
    expected = {400: "Nothing to answer here", 404: "This request is not valid any more"}
    assert page.status == (404 if "=" in path else 400)
    assert doc(page).find(".//h1").text == expected[page.status]
    # Neither the challenge nor Hydra's own answer is repeated.
    assert "not-a-real-challenge" not in page.text and "Unable to locate" not in page.text


def test_a_replayed_consent_gets_a_clear_page_and_the_app_no_second_code(apps_stack):
    """Hydra v2.3.0's consent challenges are stateless: after use, the admin API still answers
    200 for it and accepts it again. The browser that answered keeps a mark of it, so its
    replay (the form posted again, or the page opened again) gets a clear page."""
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    consent = sign_in_for(rp, client, email).page
    assert submit(consent, button="Allow").callback["code"]
    replay = submit(consent, button="Allow")
    assert replay.page is not None and replay.page.status == 409 and not replay.callback
    assert doc(replay.page).find(".//h1").text == "This request was already answered"
    reopened = client.get(consent.url)
    assert reopened.status == 409 and doc(reopened).find(".//h1").text == "This request was already answered"


def test_an_expired_consent_challenge_gets_a_clear_page(tmp_path_factory, kratos_bin, hydra_bin):
    with running_stack(
        tmp_path_factory, "oauth2-ttl", with_hydra=True, hydra_env={"TTL_LOGIN_CONSENT_REQUEST": "10s"}
    ) as stack:
        rp = app(stack)
        client, email = returning_user(stack)
        consent = sign_in_for(rp, client, email).page
        assert consent.form("Allow")  # still valid
        time.sleep(10.5)
        expired = submit(consent, button="Allow")
        assert expired.page is not None and expired.page.status == 404
        assert doc(expired.page).find(".//h1").text == "This request is not valid any more"
        again = client.get(consent.url)
        assert again.status == 404 and doc(again).find(".//h1").text == "This request is not valid any more"


def test_a_consent_form_without_the_uis_token_is_refused(apps_stack):
    rp = app(apps_stack)
    client, email = returning_user(apps_stack)
    consent = sign_in_for(rp, client, email).page
    forged = submit(consent, {"csrf_token": "0" * 64}, button="Allow")
    assert forged.page is not None and forged.page.status == 403
    assert submit(consent, button="Allow").callback["code"]  # the real form still works


def test_oauth2_errors_are_shown_in_our_words_only(apps_stack):
    page = FormClient().get(
        apps_stack.ui_url + "/error",
        params={
            "error": "access_denied",
            "error_description": "<script>alert(1)</script> Call +1 555 0100",
            "error_hint": "Visit evil.example",
        },
    )
    assert page.status == 403
    assert doc(page).find(".//h1").text == "Access was not granted"
    assert "555" not in page.text and "evil.example" not in page.text and not doc(page).findall(".//main//script")
    unknown = FormClient().get(apps_stack.ui_url + "/error", params={"error": "<b>x</b>"})
    assert unknown.status == 400 and doc(unknown).find(".//h1").text == "Something went wrong"
    assert doc(unknown).find(".//main//b") is None


def test_a_forgotten_password_in_the_middle_of_an_apps_sign_in_ends_at_the_app(apps_stack):
    from mailsink import wait_for_code

    rp = app(apps_stack, client_name="Calendar")
    client, email = returning_user(apps_stack)
    _, mails = wait_for_code(apps_stack.maildir, email)
    at_login = follow(client, "GET", rp.authorize_url()).page
    forgot = next(a.get("href") for a in doc(at_login).iter("a") if a.text == "Forgot your password?")
    recovery = follow(client, "GET", apps_stack.ui_url + forgot).page
    sent = recovery.submit({"email": email}, button="Continue")
    code, _ = wait_for_code(apps_stack.maildir, email, seen=mails)
    settings = sent.submit({"code": code}, button="Continue")
    assert urlsplit(settings.url).path == "/settings"
    saved = submit(settings, {"password": "Recovered-passw0rd"}, button="Set new password", form_id="group-password")
    # Back to the app's sign-in, where Kratos asks to confirm it is you (Hydra had not
    # remembered this browser), then the app's consent comes.
    page = saved.page
    assert page is not None and urlsplit(page.url).path == "/login"
    assert "Sign in to continue to Calendar" in page.text and "Confirm it's you" in page.text
    page = submit(page, {"password": "Recovered-passw0rd"}, button="Sign in").page
    assert page is not None and urlsplit(page.url).path == "/consent", page and page.url
    back = submit(page, button="Allow")
    assert claims_of(rp.exchange(back.callback["code"])["id_token"])["email"] == email


def test_the_apps_logo_and_links_are_shown_and_allowed_by_the_pages_policy(apps_stack):
    rp = app(
        apps_stack,
        client_name="Maps",
        logo_uri="http://127.0.0.1:9/logo.png",
        client_uri="https://maps.example/",
        policy_uri="https://maps.example/privacy",
        tos_uri="javascript:alert(1)",
    )
    client, email = returning_user(apps_stack)
    at_login = follow(client, "GET", rp.authorize_url()).page
    assert doc(at_login).find(".//p[@id='for-app']/img").get("src") == "http://127.0.0.1:9/logo.png"
    csp = at_login.resp.headers["Content-Security-Policy"]
    assert "img-src 'self' data: http://127.0.0.1:9" in csp
    assert "http://127.0.0.1:9" in csp.split("form-action")[1].split(";")[0]  # the app's callback origin
    consent = submit(at_login, {"identifier": email, "password": PASSWORD}, button="Sign in").page
    page = doc(consent)
    assert page.find(".//img[@id='app-logo']").get("src") == "http://127.0.0.1:9/logo.png"
    links = {a.text: a.get("href") for a in page.findall(".//p[@class='links app-links']/a")}
    assert links == {"Website": "https://maps.example/", "Privacy policy": "https://maps.example/privacy"}
    assert "http://127.0.0.1:9" in consent.resp.headers["Content-Security-Policy"].split("form-action")[1]


def test_hydras_own_errors_land_on_the_uis_error_page(apps_stack):
    rp = app(apps_stack)
    rp.redirect_uri = "http://127.0.0.1:9/not-registered"  # Hydra will not send the browser to the app
    arrival = follow(FormClient(), "GET", rp.authorize_url(), redirect_uri=rp.redirect_uri)
    page = arrival.page
    assert page is not None and page.url.startswith(apps_stack.ui_url + "/error?"), page and page.url
    assert "error_description" in page.url  # Hydra said more, in its own words; the page does not repeat it
    assert page.status == 400 and doc(page).find(".//h1").text == "The app's request was not valid"


def test_a_client_with_skip_logout_consent_signs_out_without_the_question(apps_stack):
    rp = app(apps_stack, skip_logout_consent=True, post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    client, email = returning_user(apps_stack)
    tokens = rp.exchange(submit(sign_in_for(rp, client, email).page, button="Allow").callback["code"])
    done = follow(
        client,
        "GET",
        f"{rp.hydra_public_url}/oauth2/sessions/logout?"
        + requests.compat.urlencode(
            {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/bye"}
        ),
        redirect_uri="http://127.0.0.1:9/bye",
    )
    assert done.page is None  # no question: straight back to the app
    assert whoami(apps_stack, client).status_code == 401


def test_an_unverified_address_is_verified_in_the_middle_of_an_apps_sign_in(tmp_path_factory, kratos_bin, hydra_bin):
    from mailsink import wait_for_code
    from stack import ROOT

    with running_stack(
        tmp_path_factory,
        "oauth2-verified",
        with_hydra=True,
        overlays=(ROOT / "tests" / "kratos" / "require-verified-address.yml",),
    ) as stack:
        rp = app(stack, client_name="Wiki")
        email = new_email()
        client, _ = sign_up(stack, email)
        _, mails = wait_for_code(stack.maildir, email)
        client.get(stack.ui_url + "/logout").submit(button="Sign out")
        verification = sign_in_for(rp, client, email).page
        assert verification is not None and urlsplit(verification.url).path == "/verification"
        code, _ = wait_for_code(stack.maildir, email, seen=mails)
        verified = verification.submit({"code": code}, button="Continue")
        assert "You successfully verified your email address." in verified.text
        onward = next(a.get("href") for a in doc(verified).iter("a") if (a.text or "").strip() == "Continue")
        at_login = follow(client, "GET", onward).page
        assert urlsplit(at_login.url).path == "/login" and "Sign in to continue to Wiki" in at_login.text
        consent = submit(at_login, {"identifier": email, "password": PASSWORD}, button="Sign in").page
        assert consent is not None and urlsplit(consent.url).path == "/consent", consent and consent.url
        back = submit(consent, button="Allow")
        claims = claims_of(rp.exchange(back.callback["code"])["id_token"])
        assert claims["email"] == email and claims["email_verified"] is True


def test_a_signed_in_user_confirms_it_is_them_for_the_app(apps_stack):
    """Kratos v1.3.1 forces a refresh when Hydra has not remembered the login (skip=false)."""
    rp = app(apps_stack, client_name="Chat")
    email = new_email()
    client, _ = sign_up(apps_stack, email)  # signed in
    confirm = follow(client, "GET", rp.authorize_url()).page
    assert urlsplit(confirm.url).path == "/login"
    assert doc(confirm).find(".//h1").text == "Confirm it's you"
    named = doc(confirm).find(".//p[@id='for-app']")
    assert " ".join("".join(named.itertext()).split()) == "Sign in to continue to Chat"
    consent = submit(confirm, {"password": PASSWORD}, button="Sign in").page
    assert consent is not None and urlsplit(consent.url).path == "/consent"
