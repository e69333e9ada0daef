"""How WebAuthn and passkey nodes are rendered, from recorded flows."""

import re
from urllib.parse import urlsplit

from page_checks import parse


def login_page(client, kratos, fixture):
    rec = kratos.answer("GET", "/self-service/login/flows", fixture)
    return rec, client.get(f"/login?flow={rec['body']['id']}").get_data(as_text=True)


def test_kratos_script_keeps_integrity_and_crossorigin_under_the_page_nonce(client, kratos):
    rec, html = login_page(client, kratos, "login_flow")
    resp = client.get(f"/login?flow={rec['body']['id']}")
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)
    script = next(n for n in rec["body"]["ui"]["nodes"] if n["type"] == "script")["attributes"]
    tag = re.search(r'<script src="{}"[^>]*>'.format(re.escape(script["src"])), resp.get_data(as_text=True)).group(0)
    assert f'nonce="{nonce}"' in tag
    assert f'integrity="{script["integrity"]}"' in tag and 'crossorigin="anonymous"' in tag
    assert script["nonce"] not in tag  # Kratos's own nonce means nothing under this page's CSP


def test_triggers_are_data_attributes_never_inline_handlers(client, kratos):
    rec, html = login_page(client, kratos, "login_flow")
    assert "onclick=" not in html and "onload=" not in html
    assert re.search(
        r'<button type="button"\s+name="passkey_login_trigger"[^>]*'
        r'data-onclick-trigger="oryPasskeyLogin"',
        html,
    )
    assert 'data-onload-trigger="oryPasskeyLoginAutocompleteInit"' in html
    assert "/static/webauthn-triggers.js" in [urlsplit(s.get("src")).path for s in parse(html).iter("script")]


def test_login_methods_are_grouped_under_plain_titles(client, kratos):
    _, html = login_page(client, kratos, "login_flow")
    assert re.findall(r"<legend>([^<]+)</legend>", html) == [
        "Sign in with password",
        "Sign in with a passkey",
        "Email me a code",
    ]


def test_a_flow_without_webauthn_nodes_loads_no_webauthn_javascript(signed_in, kratos):
    rec = kratos.answer("GET", "/self-service/login/flows", "login_refresh_flow")
    assert not any(n["type"] == "script" for n in rec["body"]["ui"]["nodes"])
    doc = parse(signed_in.get(f"/login?flow={rec['body']['id']}").get_data(as_text=True))
    scripts = [urlsplit(s.get("src")).path for s in doc.iter("script") if s.get("src")]
    assert scripts == ["/static/password-toggle.js"]  # only the show-password enhancement
