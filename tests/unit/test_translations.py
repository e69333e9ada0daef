"""The page speaks the browser's language: chosen from Accept-Language or the switcher's cookie,
announced in <html lang>, Kratos's messages translated by id with their context, dates the
locale's way, and the language passed on to Kratos."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import html5lib
import pytest

from app.i18n import COOKIE, translate_message, when
from support import recorded
from unit.conftest import UI

LOGIN_ID = recorded("login_flow_fetched")["body"]["id"]
RECOVERY_ID = recorded("recovery_flow")["body"]["id"]


def parse(resp):
    return html5lib.parse(resp.get_data(as_text=True), namespaceHTMLElements=False)


def lang_of(resp) -> str:
    return parse(resp).get("lang")


def message(doc, message_id: int) -> str:
    (found,) = [p for p in doc.iter("p") if p.get("data-message-id") == str(message_id)]
    return "".join(found.itertext()).strip()


def label_of(doc, name: str) -> str:
    """The label of the visible inputs named `name` (one per method's form: the same on each)."""
    fields = [i for i in doc.iter("input") if i.get("name") == name and i.get("type") != "hidden"]
    labels = {
        "".join(lb.itertext()).strip() for f in fields for lb in doc.iter("label") if lb.get("for") == f.get("id")
    }
    (label,) = labels
    return label


def button_texts(doc) -> list[str]:
    return ["".join(b.itertext()).strip() for b in doc.iter("button")]


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("fr-CA", "fr"),
        ("pt", "pt-BR"),
        ("pt-BR,pt;q=0.9", "pt-BR"),
        ("ja;q=0.5, es;q=0.9", "es"),
        ("ja", "ja"),
        ("nl, sv;q=0.8", "en"),
        ("", "en"),
    ],
)
def test_the_page_speaks_the_best_language_the_browser_accepts(client, accept_language, lang):
    resp = client.get("/", headers={"Accept-Language": accept_language} if accept_language else {})
    assert lang_of(resp) == lang


def test_german_chrome_for_a_german_browser(client):
    doc = parse(client.get("/", headers={"Accept-Language": "de"}))
    assert doc.find(".//h1").text == "Willkommen"
    assert "Sie sind nicht angemeldet." in "".join(doc.find(".//main").itertext())
    nav = ["".join(a.itertext()) for a in doc.find(".//header").iter("a")]
    assert "Anmelden" in nav and "Konto erstellen" in nav
    assert doc.find(".//title").text == "Startseite · Konto"


def test_the_switcher_is_a_plain_form_posting_this_page_back(client):
    doc = parse(client.get(f"/login?flow={LOGIN_ID}&junk=Call+0800", headers={"Accept-Language": "de"}))
    (form,) = [f for f in doc.iter("form") if f.get("class") == "languages"]
    assert form.get("method") == "post" and form.get("action") == "/language"
    fields = {i.get("name"): i.get("value") for i in form.iter("input")}
    # Back to this flow; text that is not a Kratos id is not carried (nor repeated on the page).
    assert fields == {"next": f"/login?flow={LOGIN_ID}"}
    buttons = {b.get("value"): ("".join(b.itertext()), b.get("aria-pressed")) for b in form.iter("button")}
    assert buttons["de"] == ("Deutsch", "true")
    assert buttons["ja"] == ("日本語", None)
    assert set(buttons) == {"en", "de", "fr", "es", "pt_BR", "ja"}
    assert form.find(".//script") is None


def test_choosing_a_language_keeps_it_in_a_cookie_over_accept_language(client):
    resp = client.post(
        "/language", data={"lang": "ja", "next": f"/login?flow={LOGIN_ID}"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"{UI}/login?flow={LOGIN_ID}"
    cookie = client.get_cookie(COOKIE, domain="127.0.0.1")
    assert cookie is not None and cookie.value == "ja"
    assert "httponly" in resp.headers["Set-Cookie"].lower()
    home = client.get("/", headers={"Accept-Language": "de"})
    assert lang_of(home) == "ja"
    assert parse(home).find(".//h1").text == "ようこそ"


@pytest.mark.parametrize("next_url", ["//evil.example/", "https://evil.example/", "javascript:alert(1)", ""])
def test_the_switcher_never_sends_anyone_elsewhere(client, next_url):
    resp = client.post("/language", data={"lang": "fr", "next": next_url})
    assert resp.status_code == 303
    assert urlsplit(resp.headers["Location"])[:3] == ("http", "127.0.0.1:4455", "/")


def test_an_unknown_language_sets_nothing(client):
    resp = client.post("/language", data={"lang": "xx", "next": "/"})
    assert resp.status_code == 303 and "Set-Cookie" not in resp.headers
    assert lang_of(client.get("/")) == "en"


def test_a_stale_cookie_for_an_unsupported_language_falls_back_to_negotiation(client):
    client.set_cookie(COOKIE, "klingon", domain="127.0.0.1")
    assert lang_of(client.get("/", headers={"Accept-Language": "es"})) == "es"


def test_wrong_password_in_german_is_kratos_4000006_translated(client, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    resp = client.post(
        f"/login?flow={LOGIN_ID}",
        headers={"Accept-Language": "de"},
        data={"csrf_token": "t", "identifier": "recorded@example.com", "password": "wrong", "method": "password"},
    )
    doc = parse(resp)
    assert message(doc, 4000006) == (
        "Die Zugangsdaten sind ungültig. Prüfen Sie Passwort, Benutzernamen, "
        "E-Mail-Adresse oder Telefonnummer auf Tippfehler."
    )
    assert label_of(doc, "password") == "Passwort"
    assert "Mit Passwort anmelden" in button_texts(doc)
    # The identifier's label is the schema's own title (1070002): shown as Kratos sent it.
    assert label_of(doc, "identifier") == "E-Mail"
    # And the language went to Kratos with the submission: as a header, and for its mail templates
    # as transient_payload.locale.
    assert kratos.calls[0].request.headers["Accept-Language"] == "de"
    sent = parse_qs(kratos.calls[0].request.body)
    assert json.loads(sent["transient_payload"][0]) == {"locale": "de"}


def test_the_ui_owns_the_transient_payload(client, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    client.post(
        f"/login?flow={LOGIN_ID}",
        headers={"Accept-Language": "ja"},
        data={
            "csrf_token": "t",
            "identifier": "a@example.com",
            "password": "wrong",
            "method": "password",
            "transient_payload": '{"locale": 42, "admin": true}',
        },
    )
    sent = parse_qs(kratos.calls[0].request.body)
    assert [json.loads(v) for v in sent["transient_payload"]] == [{"locale": "ja"}]


def test_recovery_code_sent_in_brazilian_portuguese(client, kratos):
    kratos.answer("POST", "/self-service/recovery", "recovery_code_sent")
    resp = client.post(
        f"/recovery?flow={RECOVERY_ID}",
        headers={"Accept-Language": "pt-BR"},
        data={"csrf_token": "t", "email": "recorded@example.com", "method": "code"},
    )
    doc = parse(resp)
    assert message(doc, 1060003).startswith("Um e-mail com um código de recuperação foi enviado")
    assert label_of(doc, "code") == "Código de recuperação"


def test_english_is_kratos_own_words(client, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    resp = client.post(
        f"/login?flow={LOGIN_ID}",
        data={"csrf_token": "t", "identifier": "recorded@example.com", "password": "wrong", "method": "password"},
    )
    body = recorded("login_invalid_credentials")["body"]
    assert message(parse(resp), 4000006) == body["ui"]["messages"][0]["text"]


@pytest.fixture
def german(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        yield


@pytest.fixture
def japanese(app):
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        yield


def test_a_provider_name_fills_its_placeholder(german):
    assert (
        translate_message(
            {"id": 1010002, "text": "Sign in with GitHub", "context": {"provider": "GitHub", "provider_id": "github"}}
        )
        == "Mit GitHub anmelden"
    )


def test_numbers_from_the_context_fill_the_password_length_message(german):
    text = translate_message(
        {
            "id": 4000032,
            "text": "The password must be at least 8 characters long, but got 3.",
            "context": {"min_length": 8, "actual_length": 3},
        }
    )
    assert text == "Das Passwort muss mindestens 8 Zeichen lang sein, hat aber 3."


def test_minutes_since_expiry_are_computed_from_the_context_the_locale_way(german):
    now = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    text = translate_message(
        {
            "id": 4010001,
            "text": "The login flow expired 90.50 minutes ago, please try again.",
            "context": {"expired_at": "2026-12-01T08:59:30Z", "expired_at_unix": 1},
        },
        now=now,
    )
    assert text == "Der Anmeldevorgang ist vor 90,50 Minuten abgelaufen. Bitte versuchen Sie es erneut."


def test_minutes_left_after_recovery_are_computed_from_the_context(japanese):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    text = translate_message(
        {
            "id": 1060001,
            "text": "You successfully recovered your account. ...",
            "context": {"privileged_session_expires_at": "2026-12-01T10:15:00Z"},
        },
        now=now,
    )
    assert "今後 15.00 分以内に" in text


def test_a_used_backup_code_says_when_in_the_locale(german):
    text = translate_message(
        {
            "id": 1050014,
            "text": "Secret was used at 2026-12-01 08:09:50 +0000 UTC",
            "context": {"used_at": "2026-12-01T08:09:50Z", "used_at_unix": 1},
        }
    )
    assert text == "Code wurde verwendet am 01.12.2026, 08:09 UTC"


def test_backup_codes_are_listed_with_the_used_one_translated(app, german):
    from flask import render_template_string

    node = {
        "type": "text",
        "group": "lookup_secret",
        "messages": [],
        "meta": {"label": {"id": 1050010, "text": "These are your back up recovery codes. ...", "type": "info"}},
        "attributes": {
            "id": "lookup_secret_codes",
            "node_type": "text",
            "text": {
                "id": 1050015,
                "type": "info",
                "text": "abcd1234, Secret was used at ...",
                "context": {
                    "secrets": [
                        {"id": 1050009, "text": "abcd1234", "type": "info", "context": {"secret": "abcd1234"}},
                        {
                            "id": 1050014,
                            "text": "Secret was used at 2026-12-01 08:09:50 +0000 UTC",
                            "type": "info",
                            "context": {"used_at": "2026-12-01T08:09:50Z", "used_at_unix": 1},
                        },
                    ]
                },
            },
        },
    }
    doc = html5lib.parse(
        render_template_string('{% import "macros/nodes.html" as ui %}{{ ui.nodes([n]) }}', n=node),
        namespaceHTMLElements=False,
    )
    assert ["".join(li.itertext()) for li in doc.iter("li")] == [
        "abcd1234",
        "Code wurde verwendet am 01.12.2026, 08:09 UTC",
    ]
    assert doc.find(".//p[@class='label']").text.startswith("Das sind Ihre Backup-Wiederherstellungscodes.")


def test_a_duplicate_account_is_explained_from_its_hints(german):
    text = translate_message(
        {
            "id": 4000028,
            "text": "You tried signing in with a@example.com which is ...",
            "context": {
                "available_credential_types": ["password", "webauthn"],
                "available_oidc_providers": ["github"],
                "credential_identifier_hint": "a@example.com",
            },
        }
    )
    assert text == (
        "Sie haben versucht, sich mit a@example.com anzumelden, das bereits von einem anderen Konto "
        "verwendet wird. Sie können sich mit Ihrem Passwort oder Ihrem Passkey oder einem "
        "Sicherheitsschlüssel anmelden. Sie können sich über einen dieser Social-Login-Anbieter "
        "anmelden: Github."
    )


def test_allowed_types_are_joined_with_the_locales_or(german):
    text = translate_message(
        {
            "id": 4000026,
            "text": "expected string or number, but got boolean",
            "context": {"allowed_types": ["string", "number"], "actual_type": "boolean"},
        }
    )
    assert text == "erwartet wurde string oder number, erhalten boolean"


def test_an_unknown_id_keeps_kratos_english_text(german):
    assert (
        translate_message({"id": 4999999, "text": "A message newer than this UI."}) == "A message newer than this UI."
    )
    assert translate_message({"text": "No id at all."}) == "No id at all."


def test_text_that_is_data_is_never_translated(german):
    secret = {
        "id": 1050006,
        "text": "FXNAT4VCT3KRNYUCCXZXKXA2G6Y4EIJQ",
        "context": {"secret": "FXNAT4VCT3KRNYUCCXZXKXA2G6Y4EIJQ"},
    }
    assert translate_message(secret) == secret["text"]
    reason = {"id": 4000001, "text": "some schema reason", "context": {"reason": "some schema reason"}}
    assert translate_message(reason) == "some schema reason"


def test_a_context_missing_its_placeholder_keeps_kratos_text(german):
    assert translate_message({"id": 1010002, "text": "Sign in with GitHub"}) == "Sign in with GitHub"


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", "Dec 1, 2026, 8:09\u202fAM UTC"),
        ("de", "01.12.2026, 08:09 UTC"),
        ("fr", "1 déc. 2026, 08:09 UTC"),
        ("ja", "2026/12/01 8:09 UTC"),
    ],
)
def test_dates_are_written_the_locales_way_and_say_utc(app, lang, shown):
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        assert when("2026-12-01T08:09:50.322457Z") == shown
        assert when("2026-12-01T09:09:50+01:00") == shown


def test_the_home_page_dates_the_session_in_german(signed_in):
    session = recorded("whoami")["body"]
    doc = parse(signed_in.get("/", headers={"Accept-Language": "de"}))
    since = datetime.fromisoformat(session["authenticated_at"][:19]).replace(tzinfo=UTC)
    (dd,) = [d for d in doc.iter("dd") if d.get("id") == "since"]
    assert dd.text == f"{since:%d.%m.%Y, %H:%M} UTC"


def test_every_kratos_call_carries_the_page_language(signed_in, kratos):
    signed_in.get("/", headers={"Accept-Language": "fr-FR"})
    assert kratos.calls[0].request.headers["Accept-Language"] == "fr"


def test_error_pages_speak_the_language_too(client):
    doc = parse(client.get("/no-such-page", headers={"Accept-Language": "es"}))
    assert doc.find(".//h1").text == "Página no encontrada"
    assert lang_of(client.get("/no-such-page", headers={"Accept-Language": "es"})) == "es"


def test_a_link_cannot_change_the_language(client):
    assert client.get("/language?lang=ja&next=/").status_code == 405
    assert client.get_cookie(COOKIE, domain="127.0.0.1") is None


def test_another_sites_form_cannot_change_the_language(client):
    resp = client.post("/language", data={"lang": "ja", "next": "/"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403 and client.get_cookie(COOKIE, domain="127.0.0.1") is None
