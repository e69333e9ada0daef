"""How WebAuthn and passkey nodes are rendered, from recorded flows (pages read with html5lib)."""

import re
from urllib.parse import urlsplit

from page_checks import parse


def login_page(client, kratos, fixture):
    """(the recorded flow, the response, the parsed page)."""
    rec = kratos.answer("GET", "/self-service/login/flows", fixture)
    resp = client.get(f"/login?flow={rec['body']['id']}")
    return rec, resp, parse(resp.get_data(as_text=True))


def text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def test_kratos_script_keeps_integrity_and_crossorigin_under_the_page_nonce(client, kratos):
    rec, resp, doc = login_page(client, kratos, "login_flow")
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)
    script = next(n for n in rec["body"]["ui"]["nodes"] if n["type"] == "script")["attributes"]
    (tag,) = [s for s in doc.iter("script") if s.get("src") == script["src"]]
    # The page's own nonce: Kratos's (in its node) means nothing under this page's CSP.
    assert tag.get("nonce") == nonce and tag.get("nonce") != script["nonce"]
    assert tag.get("integrity") == script["integrity"] and tag.get("crossorigin") == "anonymous"


def test_triggers_are_data_attributes_never_inline_handlers(client, kratos):
    _, _, doc = login_page(client, kratos, "login_flow")
    assert not [el for el in doc.iter() if isinstance(el.tag, str) and {"onclick", "onload"} & set(el.attrib)]
    (trigger,) = [b for b in doc.iter("button") if b.get("name") == "passkey_login_trigger"]
    assert trigger.get("type") == "button" and trigger.get("data-onclick-trigger") == "oryPasskeyLogin"
    onload = [el.get("data-onload-trigger") for el in doc.iter() if el.get("data-onload-trigger")]
    assert "oryPasskeyLoginAutocompleteInit" in onload
    assert "/static/webauthn-triggers.js" in [urlsplit(s.get("src") or "").path for s in doc.iter("script")]


def test_login_methods_are_grouped_under_plain_titles(client, kratos):
    _, _, doc = login_page(client, kratos, "login_flow")
    assert [text(legend) for legend in doc.iter("legend")] == [
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
