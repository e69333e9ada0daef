"""The stack's real Hydra: it is ready, publishes its discovery document, registers clients, and sends
a browser that asks to sign in to an app through the UI to a Kratos login flow that knows the request."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import requests

from formclient import FormClient
from stack import Hydra, free_port
from support import register_oauth2_client

CALLBACK = "http://127.0.0.1:9/callback"  # never reached: this test stops at the sign-in page


def redirect_target(page, base: str, path: str) -> dict:
    """The query of a redirect that must go to base + path."""
    assert page.status in (302, 303), (page.status, page.text[:300])
    target = urlsplit(page.resp.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == base + path, page.resp.headers["Location"]
    return {name: values[0] for name, values in parse_qs(target.query).items()}


def test_hydra_is_ready_and_publishes_its_discovery_document(oauth2_stack):
    hydra = oauth2_stack.hydra
    assert requests.get(hydra.admin_url + "/health/ready", timeout=5).json() == {"status": "ok"}
    discovery = requests.get(hydra.public_url + "/.well-known/openid-configuration", timeout=5).json()
    assert discovery["issuer"] == hydra.public_url + "/"
    assert discovery["authorization_endpoint"] == hydra.public_url + "/oauth2/auth"
    assert discovery["token_endpoint"] == hydra.public_url + "/oauth2/token"


def test_an_app_sign_in_goes_through_the_ui_to_a_kratos_flow_that_carries_the_challenge(oauth2_stack):
    stack, hydra = oauth2_stack, oauth2_stack.hydra
    client = register_oauth2_client(hydra.admin_url, CALLBACK, client_name="Example App")
    registered = requests.get(f"{hydra.admin_url}/admin/clients/{client['client_id']}", timeout=5).json()
    assert registered["redirect_uris"] == [CALLBACK] and client["client_secret"]

    browser = FormClient()
    state = secrets.token_urlsafe(16)
    authorize = browser.get(
        hydra.public_url + "/oauth2/auth",
        allow_redirects=False,
        params={
            "client_id": client["client_id"],
            "response_type": "code",
            "scope": "openid email",
            "redirect_uri": CALLBACK,
            "state": state,
        },
    )
    challenge = redirect_target(authorize, stack.ui_url, "/login")["login_challenge"]

    # The UI passes the challenge on to Kratos, which asks Hydra about it and makes a login flow.
    to_kratos = browser.get(authorize.resp.headers["Location"], allow_redirects=False)
    assert redirect_target(to_kratos, stack.public_url, "/self-service/login/browser") == {"login_challenge": challenge}
    to_ui = browser.get(to_kratos.resp.headers["Location"], allow_redirects=False)
    flow_id = redirect_target(to_ui, stack.ui_url, "/login")["flow"]

    flow = browser.http.get(stack.public_url + "/self-service/login/flows", params={"id": flow_id}, timeout=10).json()
    assert flow["oauth2_login_challenge"] == challenge
    assert flow["oauth2_login_request"]["client"]["client_id"] == client["client_id"]
    assert flow["oauth2_login_request"]["client"]["client_name"] == "Example App"
    assert flow["oauth2_login_request"]["requested_scope"] == ["openid", "email"]

    page = browser.get(to_ui.resp.headers["Location"])
    assert page.status == 200 and page.form("Sign in")


def without_state(url: str) -> dict:
    return {name: values for name, values in parse_qs(urlsplit(url).query).items() if name != "state"}


def test_make_devs_demo_client_keeps_its_id_and_authorize_url_when_registered_again(oauth2_stack):
    from dev import DEMO_CALLBACK, DEMO_CLIENT_ID, register_demo_client

    hydra = oauth2_stack.hydra
    first, again = register_demo_client(hydra), register_demo_client(hydra)  # as on a second `make dev`
    assert without_state(first) == without_state(again)
    assert without_state(first)["client_id"] == [DEMO_CLIENT_ID]
    client = requests.get(f"{hydra.admin_url}/admin/clients/{DEMO_CLIENT_ID}", timeout=5).json()
    assert client["redirect_uris"] == [DEMO_CALLBACK]
    # The printed URL really starts a sign-in at the UI.
    assert "login_challenge" in redirect_target(
        FormClient().get(again, allow_redirects=False), oauth2_stack.ui_url, "/login"
    )


def test_a_second_hydra_runs_beside_the_stacks_own_as_its_own_issuer(oauth2_stack):
    upstream = Hydra(
        "upstream-idp",
        free_port(),
        free_port(),
        env={"URLS_LOGIN": "http://127.0.0.1:9/login", "URLS_CONSENT": "http://127.0.0.1:9/consent"},
    )
    oauth2_stack.start_hydra(upstream)
    try:
        issuer = requests.get(upstream.public_url + "/.well-known/openid-configuration", timeout=5).json()["issuer"]
        assert issuer == upstream.public_url + "/"
        client = register_oauth2_client(upstream.admin_url, CALLBACK)
        own = requests.get(f"{oauth2_stack.hydra.admin_url}/admin/clients/{client['client_id']}", timeout=5)
        assert own.status_code == 404  # separate databases
    finally:
        oauth2_stack.stop_process(upstream.name)
    assert oauth2_stack.procs.keys() >= {"hydra", "kratos", "ui"}
