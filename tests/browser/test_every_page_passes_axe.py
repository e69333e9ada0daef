"""axe-core finds 0 WCAG 2.1 A/AA (and best-practice) violations on every page, in each of its
states, in the light and in the dark colour scheme, in English and in German.

The pages are driven by the names Kratos gives its fields and buttons (never by their text), so the
same steps work in any language the UI speaks."""

import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from browser.axe import assert_accessible
from browser.steps import PASSWORD, new_email
from conftest import running_stack
from mailsink import wait_for_code
from relying_party import CALLBACK, RelyingParty
from support import register_oauth2_client, totp

CODE_LIFESPAN = 6  # seconds a recovery or verification code lives in this module's stack
SAVED = '[data-message-id="1050001"]'  # Kratos: "Your changes have been saved!"


@pytest.fixture(scope="module")
def short_codes(tmp_path_factory, kratos_bin):
    with running_stack(
        tmp_path_factory, "axe", kratos_env={"SELFSERVICE_METHODS_CODE_CONFIG_LIFESPAN": f"{CODE_LIFESPAN}s"}
    ) as stack:
        yield stack


@pytest.fixture(params=["en-US", "de-DE"])
def tab(request, chromium):
    """A page whose browser asks for English, or German (Accept-Language, navigator.language)."""
    context = chromium.new_context(locale=request.param)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def button(page, name: str, value: str | None = None):
    return page.locator(f'button[name="{name}"]' + (f'[value="{value}"]' if value else ""))


def field(page, name: str):
    return page.locator(f'input[name="{name}"]')


def sign_up(page, stack, email: str, check=lambda what: None) -> None:
    page.goto(stack.ui_url + "/registration")
    check("registration, first step")
    field(page, "traits.email").fill(email)
    button(page, "method", "profile").click()
    expect(field(page, "password")).to_be_visible()
    check("registration, second step")
    field(page, "password").fill("short")
    button(page, "method", "password").click()
    expect(page.locator(".msg-error").first).to_be_visible()
    check("registration, with errors")
    field(page, "password").fill(PASSWORD)
    button(page, "method", "password").click()
    expect(page).to_have_url(re.compile(r"/verification\?flow="))
    check("verification, code sent after sign-up")
    wait_for_code(stack.maildir, email)  # see browser.steps.sign_up: the courier's write, out of the way


def sign_in(page, stack, email: str, password: str = PASSWORD) -> None:
    page.goto(stack.ui_url + "/login")
    form = page.locator("form", has=button(page, "method", "password"))
    form.locator('input[name="identifier"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    button(form, "method", "password").click()


def open_totp_enrolment(page) -> None:
    """Settings keep the QR code and secret behind the "Add authenticator app" disclosure."""
    page.locator("#group-totp details.enrol > summary").click()
    expect(page.locator("#totp_secret_key")).to_be_visible()


def sign_out(page) -> None:
    page.locator('header form[action="/logout"] button').click()
    expect(page).to_have_url(re.compile(r"/login\?flow="))


def test_home_registration_settings_and_sign_out_pages(short_codes, tab):
    stack, page = short_codes, tab
    page.goto(stack.ui_url + "/")
    assert_accessible(page, "home, anonymous")
    sign_up(page, stack, new_email("axe"), check=lambda what: assert_accessible(page, what))

    page.goto(stack.ui_url + "/")
    expect(page.locator("#who")).to_be_visible()
    assert_accessible(page, "home, signed in")

    page.goto(stack.ui_url + "/settings")
    assert_accessible(page, "settings, every section")
    open_totp_enrolment(page)
    assert_accessible(page, "settings, every section, TOTP enrolment shown")
    button(page, "lookup_secret_regenerate").click()
    expect(button(page, "lookup_secret_confirm")).to_be_visible()
    assert_accessible(page, "settings, backup codes shown")
    button(page, "lookup_secret_confirm").click()
    expect(page.locator(SAVED).first).to_be_visible()
    assert_accessible(page, "settings, saved")

    page.goto(stack.ui_url + "/logout")
    assert_accessible(page, "sign-out confirmation")
    page.goto(stack.ui_url + "/login?refresh=true")
    expect(field(page, "password")).to_be_visible()
    assert_accessible(page, "sign-in, refresh")


def test_sessions_page(short_codes, tab):
    stack, page = short_codes, tab
    email = new_email("axe-sessions")
    sign_up(page, stack, email)
    page.goto(stack.ui_url + "/sessions")
    assert_accessible(page, "sessions, this one only")

    # A second device, so the page has a session to sign out, its confirmation and its result.
    other = page.context.browser.new_context(locale=page.evaluate("navigator.language"))
    device = other.new_page()
    sign_in(device, stack, email)
    expect(device).to_have_url(stack.ui_url + "/")
    page.reload()
    row = page.locator("table.sessions tbody tr:not(.current)")
    expect(row).to_have_count(1)
    assert_accessible(page, "sessions, another device")
    row.locator("summary").click()
    expect(row.locator('form button[type="submit"]')).to_be_visible()
    assert_accessible(page, "sessions, sign-out confirmation open")
    row.locator('form button[type="submit"]').click()
    expect(page.locator("#result")).to_be_visible()
    assert_accessible(page, "sessions, result")
    other.close()


def test_oauth2_consent_and_sign_out_pages(oauth2_stack, tab):
    """An app's sign-in through Hydra: the consent page (with the app's links), then the app's
    sign-out confirmation. The app's callback is never served: the browser stops there."""
    stack, page = oauth2_stack, tab
    signed_out = "http://127.0.0.1:9/signed-out"
    rp = RelyingParty(
        stack.hydra.public_url,
        register_oauth2_client(
            stack.hydra.admin_url,
            CALLBACK,
            client_name="Recipe Box",
            scope="openid offline_access email profile",
            client_uri="https://recipes.example.com",
            policy_uri="https://recipes.example.com/privacy",
            tos_uri="https://recipes.example.com/terms",
            post_logout_redirect_uris=[signed_out],
        ),
    )
    page.route(re.compile(r"^http://127\.0\.0\.1:9/"), lambda route: route.fulfill(body="the app"))
    sign_up(page, stack, new_email("axe-oauth2"))
    page.goto(rp.authorize_url("openid offline_access email profile"))
    # Signed in already: Kratos asks to confirm it is them for the app.
    form = page.locator("form", has=button(page, "method", "password"))
    field(form, "password").fill(PASSWORD)
    button(form, "method", "password").click()
    expect(page).to_have_url(re.compile(r"/consent\?consent_challenge="))
    expect(page.locator("#scopes li")).to_have_count(4)
    assert_accessible(page, "OAuth2 consent")

    button(page, "decision", "allow").click()
    expect(page).to_have_url(re.compile(re.escape(CALLBACK) + r"\?"))
    tokens = rp.exchange(parse_qs(urlsplit(page.url).query)["code"][0])
    page.goto(
        f"{stack.hydra.public_url}/oauth2/sessions/logout?"
        + urlencode({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": signed_out})
    )
    expect(page).to_have_url(re.compile(r"/oauth2/logout\?logout_challenge="))
    expect(page.locator("#app-name")).to_have_text("Recipe Box")
    assert_accessible(page, "OAuth2 sign-out confirmation")


def test_sign_in_pages_with_errors_and_a_second_factor(short_codes, tab):
    stack, page = short_codes, tab
    email = new_email("axe-2fa")
    sign_up(page, stack, email)
    page.goto(stack.ui_url + "/settings")
    open_totp_enrolment(page)
    secret = page.locator("#totp_secret_key code").inner_text().strip()
    field(page, "totp_code").fill(totp(secret))
    button(page, "method", "totp").click()
    expect(page.locator(SAVED).first).to_be_visible()
    sign_out(page)

    page.goto(stack.ui_url + "/login")
    assert_accessible(page, "sign-in, first step")
    sign_in(page, stack, email, "not-the-password")
    expect(page.locator(".msg-error").first).to_be_visible()
    assert_accessible(page, "sign-in, with errors")
    sign_in(page, stack, email)
    expect(field(page, "totp_code")).to_be_visible()
    assert_accessible(page, "sign-in, second factor")
    field(page, "totp_code").fill("000000")
    button(page, "method", "totp").click()
    expect(page.locator(".msg-error").first).to_be_visible()
    assert_accessible(page, "sign-in, wrong second factor")
    page.goto(stack.ui_url + "/")
    expect(page.locator("#finish-sign-in")).to_be_visible()
    assert_accessible(page, "home, second factor pending")


def ask_for_code(page, stack, flow: str, email: str) -> None:
    page.goto(stack.ui_url + "/" + flow)
    assert_accessible(page, f"{flow}, first step")
    field(page, "email").fill(email)
    button(page, "method", "code").click()
    expect(field(page, "code")).to_be_visible()
    assert_accessible(page, f"{flow}, code step")


def enter_expired_code(page, flow: str, code: str, kratos_version: str) -> None:
    field(page, "code").fill(code)
    button(page, "method", "code").click()
    if flow == "recovery" and kratos_version != "v1.3.1":
        # Kratos v26 answers an expired recovery code as it answers a wrong one (4060006), on the same flow.
        expect(page.locator('[data-message-id="4060006"]')).to_be_visible()
    else:
        # The code is refused and the first step is offered again, with the UI's notice saying why.
        expect(field(page, "email")).to_be_visible()
        expect(page.locator(".notice")).to_be_visible()
    assert_accessible(page, f"{flow}, expired code")


def test_recovery_and_verification_both_steps_and_an_expired_code(short_codes, tab, kratos_version):
    stack, page = short_codes, tab
    email = new_email("axe-codes")
    sign_up(page, stack, email)
    _, mails = wait_for_code(stack.maildir, email)
    page.context.clear_cookies()

    ask_for_code(page, stack, "recovery", email)
    field(page, "code").fill("000000")
    button(page, "method", "code").click()
    expect(page.locator(".msg-error").first).to_be_visible()
    assert_accessible(page, "recovery, wrong code")
    recovery_code, mails = wait_for_code(stack.maildir, email, seen=mails)

    # Another browser (its own cookies), so that both codes are left to expire at once.
    other = page.context.browser.new_context(locale=page.evaluate("navigator.language"))
    verification = other.new_page()
    ask_for_code(verification, stack, "verification", email)
    verification_code, _ = wait_for_code(stack.maildir, email, seen=mails)

    time.sleep(CODE_LIFESPAN + 1)
    enter_expired_code(verification, "verification", verification_code, kratos_version)
    other.close()
    enter_expired_code(page, "recovery", recovery_code, kratos_version)


def test_error_pages(tmp_path_factory, kratos_bin, tab):
    with running_stack(tmp_path_factory, "axe-errors") as stack:
        assert tab.goto(stack.ui_url + "/no-such-page").status == 404
        assert_accessible(tab, "404")
        # Kratos's own 500 is the UI's 502 (a gateway's: Kratos failed, not this UI).
        assert tab.goto(stack.ui_url + "/error?id=stub:500").status == 502
        assert_accessible(tab, "a Kratos error")
        tab.goto(stack.ui_url + "/login")
        stack.stop_process("kratos")
        assert tab.reload().status == 503
        assert_accessible(tab, "503, Kratos unreachable")


def test_a_branded_sign_in_page_keeps_its_contrast(tmp_path_factory, kratos_bin, page):
    """A pale accent from BRAND_ACCENT reaches the page through /theme.css (under the CSP), darkened
    for the light scheme and kept for the dark one, so both still pass."""
    with running_stack(
        tmp_path_factory,
        "axe-brand",
        ui_env={"BRAND_ACCENT": "#ffd600", "BRAND_NAME": "Example Cloud", "SUPPORT_URL": "https://help.example.com"},
    ) as stack:
        page.goto(stack.ui_url + "/login")
        expect(page).to_have_title(re.compile(r"· Example Cloud$"))
        sign_in_button = button(page, "method", "password")
        background = lambda: sign_in_button.evaluate("b => getComputedStyle(b).backgroundColor")  # noqa: E731
        assert background() != "rgb(47, 91, 234)"  # not the built-in accent
        page.emulate_media(color_scheme="dark")
        assert background() == "rgb(255, 214, 0)"  # #ffd600 already reads on the dark surfaces
        page.emulate_media(color_scheme="light")
        assert_accessible(page, "sign-in, branded with a pale accent")


def test_the_check_fails_on_a_contrast_problem_of_the_dark_scheme_only(page):
    page.set_content("""<!doctype html><html lang="en"><head><title>t</title><style>
        @media (prefers-color-scheme: dark) {body {background: #222} p {color: #444}}</style></head>
        <body><main><h1>Title</h1><p>Hard to read in the dark</p></main></body></html>""")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "a page that is fine in the light")
    assert "dark scheme" in str(failed.value) and "[color-contrast]" in str(failed.value)
    assert "light scheme" not in str(failed.value)
