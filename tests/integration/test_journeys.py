"""A person's journeys through the UI, against the real Kratos, without JavaScript."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import running_stack
from formclient import FormClient
from support import (
    INVALID_CREDENTIALS,
    PASSWORD,
    log_lines,
    new_email,
    returning_user,
    sign_in,
    sign_out,
    sign_up,
    wait_for_log,
)


def test_sign_up_offers_verification_then_home_shows_the_user(stack):
    email = new_email()
    client, page = sign_up(stack, email)
    assert urlsplit(page.url).path == "/verification"
    assert "verification code has been sent" in page.text
    home = client.get(stack.ui_url + "/")
    assert f"Signed in as {email}" in home.text
    assert "Assurance level aal1" in home.text


def test_sign_out_then_sign_back_in(stack):
    email = new_email()
    client, _ = sign_up(stack, email)
    after = sign_out(client, stack)
    assert urlsplit(after.url).path == "/login" and after.forms
    assert "You are not signed in" in client.get(stack.ui_url + "/").text
    home = sign_in(client, stack, email)
    assert home.url == stack.ui_url + "/" and f"Signed in as {email}" in home.text


def test_wrong_password_gets_a_clear_message_and_keeps_the_email(stack):
    client, email = returning_user(stack)
    page = sign_in(client, stack, email, "not-my-password")
    assert page.status == 400
    assert any(kind == "error" and INVALID_CREDENTIALS in text for kind, text in page.messages)
    form = page.form("Sign in")
    assert form.inputs["identifier"]["value"] == email
    assert "value" not in form.inputs["password"]
    # The same form works on the next try.
    home = page.submit({"password": PASSWORD}, button="Sign in")
    assert f"Signed in as {email}" in home.text


def test_registration_rejects_a_short_password_with_kratos_message(stack):
    client = FormClient()
    page = client.get(stack.ui_url + "/registration").submit({"traits.email": new_email()}, button="Sign up")
    page = page.submit({"password": "short"}, button="Sign up")
    assert page.status == 400
    assert any("at least 8 characters" in text for _, text in page.messages)


def test_unknown_and_malformed_flow_ids_start_a_new_flow(stack):
    client = FormClient()
    for flow in ("00000000-0000-0000-0000-000000000000", "not-a-flow-id", "%27%3E%3Cscript%3E"):
        page = client.get(f"{stack.ui_url}/login?flow={flow}")
        assert page.status == 200 and urlsplit(page.url).path == "/login"
        new_id = parse_qs(urlsplit(page.url).query)["flow"][0]
        assert new_id != flow and page.form("Sign in")


def test_submitting_to_an_unknown_flow_shows_a_fresh_form_with_the_email_kept(stack):
    client = FormClient()
    page = client.get(stack.ui_url + "/login")
    page.forms[0].action = "/login?flow=00000000-0000-0000-0000-000000000000"
    page = page.submit({"identifier": "kept@example.com", "password": "whatever-1"}, button="Sign in")
    assert "no longer valid" in page.text
    assert page.form("Sign in").inputs["identifier"]["value"] == "kept@example.com"


def test_lost_csrf_cookie_gets_an_explanation_and_a_working_form(stack):
    client, email = returning_user(stack)
    page = client.get(stack.ui_url + "/login")
    for cookie in list(client.http.cookies):
        if cookie.name.startswith("csrf_token"):
            client.http.cookies.clear(cookie.domain, cookie.path, cookie.name)
    page = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert "For your security" in page.text
    assert page.form("Sign in").inputs["identifier"]["value"] == email
    home = page.submit({"password": PASSWORD}, button="Sign in")
    assert f"Signed in as {email}" in home.text


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/", "http://127.0.0.1.evil.example/"])
def test_open_redirect_attempt_ends_on_this_site(stack, evil):
    client, email = returning_user(stack)
    start = client.http.get(f"{stack.ui_url}/login", params={"return_to": evil}, allow_redirects=False)
    assert "evil" not in start.headers["Location"]
    # Even a return_to smuggled into the form's own URL is not followed.
    page = client.get(stack.ui_url + "/login")
    page.forms[0].action += "&return_to=" + evil
    home = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert home.url.startswith(stack.ui_url + "/")
    assert f"Signed in as {email}" in home.text


def test_allowed_return_to_survives_sign_in(stack):
    client, email = returning_user(stack)
    target = stack.ui_url + "/?came=back"
    home = sign_in(client, stack, email, path=f"/login?return_to={target.replace('?', '%3F').replace('=', '%3D')}")
    assert home.url == target and f"Signed in as {email}" in home.text


def test_login_required_pages_send_anonymous_users_to_login_and_back(stack):
    client, email = returning_user(stack)
    page = client.get(stack.ui_url + "/logout")
    assert urlsplit(page.url).path == "/login"
    after = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert after.url == stack.ui_url + "/logout" and "You are signed in as" in after.text


@pytest.fixture(params=["flask-text", "production-text", "production-json"])
def logged_stack(request, tmp_path_factory):
    """(stack, log format, TRUSTED_PROXIES): the dev server's shared stack, and the production server
    (granian) behind one proxy."""
    server, fmt = request.param.split("-")
    if server == "flask":
        yield request.getfixturevalue("stack"), fmt, 0
        return
    request.getfixturevalue("kratos_bin")
    with running_stack(
        tmp_path_factory, request.param, server="production", ui_env={"LOG_FORMAT": fmt, "TRUSTED_PROXIES": "1"}
    ) as running:
        yield running, fmt, 1


def test_secrets_never_reach_the_ui_log_and_every_line_names_time_level_logger_and_request(logged_stack):
    stack, fmt, proxies = logged_stack
    client, email = returning_user(stack)
    failed = sign_in(client, stack, email, "wrong-Password-9")
    csrf_token = failed.form("Sign in").inputs["csrf_token"]["value"]
    signed_in = failed.submit({"password": PASSWORD}, button="Sign in")
    # As a proxy would send them; believed only behind TRUSTED_PROXIES.
    probe = requests.get(
        stack.ui_url + "/login",
        allow_redirects=False,
        headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "probe-42"},
    )
    log = wait_for_log(stack.workdir / "ui.log", signed_in.resp.headers["X-Request-ID"], probe.headers["X-Request-ID"])
    secrets = [c.value for c in client.http.cookies] + [PASSWORD, "wrong-Password-9", csrf_token]
    assert client.http.cookies.get("ory_kratos_session")
    for secret in secrets:
        assert secret not in log
    assert "csrf_token=" not in log and "Traceback" not in log and "flow=" not in log

    lines = log_lines(stack.workdir / "ui.log", fmt)
    access = [line for line in lines if line["logger"] == "app.access"]
    assert access and all(line["request_id"] != "-" for line in access)
    # The signed-in page's request, by the id the browser got back.
    mine = [line for line in access if line["request_id"] == signed_in.resp.headers["X-Request-ID"]]
    assert [line["message"].split(" ")[:2] for line in mine] == [['"GET', '/"']]
    # ...which Kratos got with its whoami call: Kratos logs the request's headers.
    assert f"x-request-id:{signed_in.resp.headers['X-Request-ID']}" in (stack.workdir / "kratos.log").read_text()
    (probed,) = [line for line in access if line["request_id"] == probe.headers["X-Request-ID"]]
    assert probed["message"].startswith('"GET /login" 303')
    if proxies:
        assert probe.headers["X-Request-ID"] == "probe-42" and probed["client_ip"] == "203.0.113.7"
    else:
        assert probe.headers["X-Request-ID"] != "probe-42" and probed["client_ip"] == "127.0.0.1"


def test_the_admin_calls_see_the_new_identitys_credentials_and_extend_its_session(stack):
    from app.kratos import KratosClient

    email = new_email()
    client, _ = sign_up(stack, email)
    session = client.http.get(stack.public_url + "/sessions/whoami", timeout=5).json()
    kratos = KratosClient(stack.public_url, stack.admin_url, 5)
    identity = kratos.get_identity(session["identity"]["id"])
    assert identity.status == 200 and identity.body["traits"]["email"] == email
    # Types and dates only: Kratos empties each credential's config on this endpoint.
    assert email in identity.body["credentials"]["password"]["identifiers"]
    assert "hashed_password" not in str(identity.body["credentials"]["password"].get("config"))
    assert kratos.extend_session(session["id"]).status in (200, 204)
