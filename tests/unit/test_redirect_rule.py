"""The redirect rule by source, checked the way a browser reads each URL.

Every payload is judged by `from_browser`, then sent through every entry point that takes
a `return_to`, signed in and signed out; each Location the UI answers is parsed with a
WHATWG URL parser (ada, as browsers do: a backslash is a slash in http(s), tabs and
newlines vanish) and must land on this UI, an allowed return URL, Hydra, or a Kratos
self-service URL the UI built, whose own return_to passes the same rule.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, quote

import pytest
from ada_url import URL

from app.redirects import RedirectRule
from support import recorded
from unit.conftest import UI, recorded_kratos_origin

KRATOS = recorded_kratos_origin()
APP = "https://app.example/cb"
HYDRA = "http://127.0.0.1:4444"
LOGIN_ID = recorded("login_flow_fetched")["body"]["id"]

# (payload, may the browser be sent there?)
PAYLOADS = [
    # this UI
    ("/", True),
    ("/settings", True),
    ("/sessions?x=1", True),
    ("/settings#top", True),
    ("settings", True),
    ("?x=1", True),
    (UI + "/settings", True),
    (UI + "/", True),
    ("HTTP://127.0.0.1:4455/settings", True),
    (UI + "/a/../settings", True),
    ("/%2F%2Fevil.example", True),
    ("/%5Cevil.example", True),
    ("%2F%2Fevil.example", True),
    ("%252F%252Fevil.example", True),
    ("http%3A%2F%2Fevil.example", True),
    ("http://127。0。0。1:4455/", True),
    ("http://0x7f.0.0.1:4455/", True),
    (UI + "/login?return_to=" + quote(KRATOS + "/self-service/login/browser?return_to=http:%5C%5Cevil.com"), True),
    # allowed return URLs and Hydra
    (APP, True),
    (APP + "/done?x=1", True),
    ("https://app.example:443/cb", True),
    (HYDRA + "/oauth2/auth?x=1", True),
    (APP + "x", False),
    (APP + "/../admin", False),
    (APP + "/%2e%2e/admin", False),
    ("http://app.example/cb", False),
    ("https://app.example/", False),
    (HYDRA + ".evil.example/", False),
    ("http://127.0.0.1:44440/", False),
    # other hosts
    ("https://evil.example/", False),
    ("http://evil.example", False),
    ("//evil.example/", False),
    ("///evil.example/", False),
    ("////evil.example", False),
    ("http://localhost:4455/", False),
    ("http://[::1]:4455/", False),
    ("http://127.0.0.1:4455.evil.example/", False),
    ("http://127.0.0.1:44550/", False),
    ("https://127.0.0.1:4455/", False),
    ("http://evil。example/", False),
    ("https://ｅｖｉｌ.example/", False),
    ("http://evil.example%E3%80%82com/", False),
    # backslashes
    ("/\\evil.example", False),
    ("\\\\evil.example", False),
    ("/\\/evil.example", False),
    ("http:\\\\evil.example", False),
    ("https:\\\\evil.example\\x", False),
    (UI + "\\@evil.example/", False),
    ("\\/evil.example", False),
    # scheme tricks
    ("http:evil.example", False),
    ("https:evil.example", False),
    ("http:/evil.example", False),
    ("http:///evil.example", False),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("vbscript:msgbox(1)", False),
    ("file:///etc/passwd", False),
    ("ftp://127.0.0.1:4455/", False),
    ("blob:http://127.0.0.1:4455/x", False),
    # userinfo
    ("http://127.0.0.1:4455@evil.example/", False),
    ("http://evil.example@127.0.0.1:4455/", False),
    ("http://user:pass@127.0.0.1:4455/", False),
    ("http://%40@127.0.0.1:4455/", False),
    # tabs, newlines, control characters, spaces
    ("\t//evil.example", False),
    ("/\t/evil.example", False),
    ("//evil.example\n", False),
    ("/\n/evil.example", False),
    (" //evil.example", False),
    ("\x00//evil.example", False),
    ("/\r\n/evil.example", False),
    ("/settings\x7f", False),
    ("/settings ", False),
    # Kratos's own URLs, as the user supplies them (nested return_to)
    (KRATOS + "/self-service/login/browser?return_to=http:%5C%5Cevil.com", False),
    (KRATOS + "/self-service/registration/browser?return_to=https://evil.example", False),
    (KRATOS + "/self-service/login/browser", False),
    (KRATOS + "/", False),
    (KRATOS + "/self-service/login/browser?return_to=" + quote(UI + "/"), False),
]


@pytest.fixture
def settings(settings):
    # The payloads name Kratos by the origin of the first recorded set, whichever set this run reads.
    return replace(
        settings,
        kratos_browser_url=KRATOS,
        allowed_return_urls=(UI, APP),
        hydra_public_url=HYDRA,
        hydra_admin_url="http://127.0.0.1:4445",
    )


def browser_reads(location: str, base: str) -> URL:
    return URL(location, base=base)


def allowed_origin(url: URL) -> bool:
    if url.origin in (UI, HYDRA):
        return True
    return url.origin == "https://app.example" and (url.pathname == "/cb" or url.pathname.startswith("/cb/"))


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 60
    assert len({p for p, _ in PAYLOADS}) == len(PAYLOADS)


@pytest.mark.parametrize("payload, allowed", PAYLOADS)
def test_browser_supplied_urls(settings, payload, allowed):
    target = RedirectRule(settings).from_browser(payload)
    assert (target is not None) is allowed
    if target is not None:
        assert allowed_origin(browser_reads(target, UI + "/login"))


def assert_lands_safely(resp, allowed, payload):
    assert resp.status_code == 303, payload
    where = browser_reads(resp.headers["Location"], UI + "/login")
    if where.origin == KRATOS:
        # Only a self-service URL the UI built, whose return_to obeys the rule.
        assert where.pathname.startswith("/self-service/"), payload
        nested = parse_qs(where.search.lstrip("?")).get("return_to", [])
        assert all(allowed_origin(browser_reads(n, UI + "/")) for n in nested), payload
        assert bool(nested) is allowed, payload
    else:
        assert allowed_origin(where), payload


ENTRY_POINTS = ["/login", "/registration", "/recovery", "/verification"]


@pytest.mark.parametrize("payload, allowed", PAYLOADS)
def test_every_entry_point_signed_out(client, payload, allowed):
    for path in ENTRY_POINTS:
        resp = client.get(path, query_string={"return_to": payload})
        assert_lands_safely(resp, allowed, (path, payload))


@pytest.mark.parametrize("payload, allowed", PAYLOADS)
def test_every_entry_point_signed_in(signed_in, kratos, payload, allowed):
    for path in ("/login", "/registration", "/recovery"):
        kratos.answer("GET", "/sessions/whoami", "whoami")
        resp = signed_in.get(path, query_string={"return_to": payload})
        assert resp.status_code == 303
        where = browser_reads(resp.headers["Location"], UI + path)
        assert allowed_origin(where), (path, payload)
        if path == "/login" and allowed:
            assert where.href == browser_reads(payload, UI + "/").href
        if not allowed:
            assert where.origin == UI


@pytest.mark.parametrize("payload, allowed", PAYLOADS)
def test_after_sign_in(client, kratos, payload, allowed):
    kratos.answer("POST", "/self-service/login", "login_success")
    resp = client.post(
        f"/login?flow={LOGIN_ID}&return_to={quote(payload, safe='')}",
        data={"csrf_token": "t", "identifier": "a@example.com", "password": "x", "method": "password"},
    )
    assert resp.status_code == 303
    assert allowed_origin(browser_reads(resp.headers["Location"], UI + "/login"))


ISSUED = [
    ("https://accounts.google.com/o/oauth2/v2/auth?client_id=x", True),
    (HYDRA + "/oauth2/auth?login_verifier=abc", True),
    ("http://rp.example:8080/callback?code=x&state=y", True),
    (KRATOS + "/self-service/login/browser?refresh=true", True),
    ("http:\\\\evil.com", False),
    ("https://evil.example\\@good.example/", False),
    ("javascript:alert(1)", False),
    ("https:evil.com", False),
    ("http:/evil.com", False),
    ("HTTPS://ok.example/", True),
    ("data:text/html,x", False),
    ("/relative", False),
    ("//evil.example/", False),
    ("https://ok.example/\n", False),
    ("https://ok.example/\tx", False),
    ("ftp://ok.example/", False),
    ("", False),
]


@pytest.mark.parametrize("url, followed", ISSUED)
def test_server_issued_urls(settings, url, followed):
    assert (RedirectRule(settings).from_ory(url) is not None) is followed


def test_server_issued_redirect_after_a_form_post_outside_form_action_continues_from_our_page(client, kratos):
    """An OIDC provider's authorization URL (422): Chrome would block a 303 from a form post
    whose page CSP does not list the provider, so the UI serves a page that moves on itself."""
    target = "https://provider.example/oauth2/auth?client_id=kratos&state=s"
    kratos.add(
        "POST",
        "http://kratos.internal:4433/self-service/login",
        status=422,
        json={"error": {"id": "browser_location_change_required", "code": 422}, "redirect_browser_to": target},
    )
    resp = client.post(f"/login?flow={LOGIN_ID}", data={"csrf_token": "t", "provider": "generic", "method": "oidc"})
    assert resp.status_code == 200
    import html5lib

    doc = html5lib.parse(resp.get_data(as_text=True), namespaceHTMLElements=False)
    refresh = doc.find(".//meta[@http-equiv='refresh']")
    assert refresh is not None and refresh.get("content") == f"0;url={target}"
    assert doc.find(".//a[@id='continue']").get("href") == target


def test_server_issued_redirect_to_hydra_is_a_plain_redirect(client, kratos):
    target = HYDRA + "/oauth2/auth?client_id=c&login_verifier=v"
    kratos.add(
        "POST",
        "http://kratos.internal:4433/self-service/login",
        status=422,
        json={"error": {"id": "browser_location_change_required", "code": 422}, "redirect_browser_to": target},
    )
    resp = client.post(f"/login?flow={LOGIN_ID}", data={"csrf_token": "t", "identifier": "a@b.c", "method": "password"})
    assert resp.status_code == 303 and resp.headers["Location"] == target


def test_form_action_lists_where_forms_may_end_up(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    form_action = next(d for d in csp.split("; ") if d.startswith("form-action")).split()[1:]
    assert set(form_action) == {"'self'", UI, KRATOS, "https://app.example", HYDRA}
