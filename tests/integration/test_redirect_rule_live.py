"""The redirect rule against the real Kratos and Hydra: a nested Kratos return_to from the
browser is refused; a redirect that Kratos issues (to Hydra after a login_challenge, to an
OIDC provider's authorization URL) is followed."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import html5lib
import pytest
import requests
from ada_url import URL

from formclient import FormClient
from support import PASSWORD, register_oauth2_client, returning_user

NESTED = "/self-service/login/browser?return_to=http:%5C%5Cevil.com"


def hops(client: FormClient, url: str, limit: int = 10) -> list[str]:
    """Every URL a browser visits from `url`, each Location read as a browser reads it."""
    seen = [url]
    for _ in range(limit):
        resp = client.http.get(seen[-1], allow_redirects=False, timeout=10)
        if resp.status_code not in (301, 302, 303, 307, 308):
            break
        seen.append(URL(resp.headers["Location"], base=seen[-1]).href)
    return seen


@pytest.mark.parametrize("path", ["/login", "/registration"])
@pytest.mark.parametrize("signed_in", [True, False])
def test_a_nested_kratos_return_to_never_leaves_for_another_site(stack, path, signed_in):
    client = FormClient()
    if signed_in:
        client, email = returning_user(stack)
        client.get(stack.ui_url + "/login").submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    visited = hops(client, f"{stack.ui_url}{path}?return_to={quote(stack.public_url + NESTED, safe='')}")
    origins = {URL(u).origin for u in visited}
    assert origins <= {stack.ui_url, stack.public_url}, visited
    assert not any("evil" in u for u in visited[1:]), visited


def test_after_sign_in_for_an_app_the_ui_follows_kratos_to_hydra(oauth2_stack):
    stack, hydra = oauth2_stack, oauth2_stack.hydra
    callback = "http://127.0.0.1:9/cb"
    app = register_oauth2_client(hydra.admin_url, callback)
    client, email = returning_user(stack)
    page = client.get(
        hydra.public_url + "/oauth2/auth",
        params={
            "client_id": app["client_id"],
            "response_type": "code",
            "scope": "openid email",
            "redirect_uri": callback,
            "state": secrets.token_urlsafe(12),
        },
    )
    assert page.url.startswith(stack.ui_url + "/login?flow=")
    form = page.form("Sign in")
    typed = {"identifier": email, "password": PASSWORD}
    data = [(n, typed.pop(n, v)) for n, v in form.fields] + list(typed.items()) + [("method", "password")]
    answer = client.http.post(URL(form.action, base=page.url).href, data=data, allow_redirects=False, timeout=10)
    # Kratos accepted the login at Hydra and answered 422 with Hydra's URL; the UI sends the browser there.
    assert answer.status_code == 303
    assert URL(answer.headers["Location"]).origin == hydra.public_url
    assert "login_verifier=" in answer.headers["Location"]


def test_the_oidc_providers_authorization_url_is_followed(oidc_stack):
    stack, upstream = oidc_stack
    client = FormClient()
    page = client.get(stack.ui_url + "/login")
    form = page.form("Upstream")
    data = [(n, v) for n, v in form.fields] + [("provider", "upstream")]
    answer = client.http.post(URL(form.action, base=page.url).href, data=data, allow_redirects=False, timeout=10)
    # Off the page's form-action list: our own page moves the browser on (Chrome would block a 303).
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")  # a page the browser renders and follows
    doc = html5lib.parse(answer.text, namespaceHTMLElements=False)
    target = doc.find(".//a[@id='continue']").get("href")
    assert doc.find(".//meta[@http-equiv='refresh']").get("content") == f"0;url={target}"
    assert URL(target).origin == upstream.hydra.public_url and URL(target).pathname == "/oauth2/auth"
    # And the provider takes it: it sends the browser on to its own login app.
    at_provider = requests.get(target, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302 and "login_challenge=" in at_provider.headers["Location"]
    assert at_provider.headers["Location"].startswith(upstream.app.url + "/login?")


def test_a_kratos_link_to_another_site_is_not_rendered(stack):
    """Kratos v1.3.1 accepts return_to=http:\\\\evil.com on a flow started at its own URL, and puts it in
    the passed verification flow's "Continue" link; the page drops that link."""
    from mailsink import wait_for_code
    from support import new_email, sign_out, sign_up

    email = new_email()
    client, _ = sign_up(stack, email)
    sign_out(client, stack)
    _, seen = wait_for_code(stack.maildir, email)
    page = client.get(stack.public_url + "/self-service/verification/browser?return_to=http:%5C%5Cevil.com")
    assert page.url.startswith(stack.ui_url + "/verification?flow=")
    page = page.submit({"email": email}, button="Continue")
    code, _ = wait_for_code(stack.maildir, email, seen)
    done = page.submit({"code": code}, button="Continue")
    assert "You successfully verified your email address." in done.text
    flow_id = done.url.split("flow=")[1].split("&")[0]
    flow = client.http.get(
        stack.public_url + "/self-service/verification/flows", params={"id": flow_id}, timeout=10
    ).json()
    assert any(n["type"] == "a" and "evil" in n["attributes"]["href"] for n in flow["ui"]["nodes"])  # Kratos sent it
    doc = html5lib.parse(done.resp.text, namespaceHTMLElements=False)
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert all(URL(h, base=done.url).origin in (stack.ui_url, stack.public_url) for h in hrefs), hrefs
