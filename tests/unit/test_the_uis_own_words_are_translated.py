"""The UI's own words (titles, cards, buttons, notices, times, waits) are in the page's language,
beside Kratos's messages; English stays the words of the code."""

from __future__ import annotations

import copy

import pytest
from flask import render_template_string

from app import limits
from app.sessions import ago
from page_checks import parse
from support import recorded
from unit.test_sessions_read_as_a_person_expects import NOW

SETTINGS_ID = recorded("settings_flow")["body"]["id"]
LOGIN_ID = recorded("login_flow_fetched")["body"]["id"]


def text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def settings_page(client, kratos, lang: str):
    kratos.answer("GET", "/self-service/settings/flows", "settings_flow", status=200)
    return parse(client.get(f"/settings?flow={SETTINGS_ID}", headers={"Accept-Language": lang}).get_data(as_text=True))


def card(doc, group):
    return next(f for f in doc.iter("form") if f.get("id") == f"group-{group}")


def test_settings_cards_in_german(signed_in, kratos):
    doc = settings_page(signed_in, kratos, "de")
    password = card(doc, "password")
    assert text(password.find(".//h2")) == "Passwort"
    assert [text(b) for b in password.iter("button")] == ["Passwort ändern"]
    assert [text(p) for p in password.iter("p") if "state" in p.get("class", "").split()] == ["Aktiv"]
    totp = card(doc, "totp")
    assert [text(p) for p in totp.iter("p") if "state" in p.get("class", "").split()] == ["Nicht eingerichtet"]
    assert text(totp.find(".//summary")) == "Authenticator-App hinzufügen"
    assert doc.find(".//h1").text == "Kontoeinstellungen"


def test_the_sign_in_page_in_japanese(client, kratos):
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    doc = parse(client.get(f"/login?flow={LOGIN_ID}", headers={"Accept-Language": "ja"}).get_data(as_text=True))
    assert doc.find(".//h1").text == "サインイン"
    links = [text(a) for p in doc.iter("p") if p.get("class") == "links" for a in p.iter("a")]
    assert links == ["アカウントを作成する", "パスワードをお忘れですか？"]
    assert "パスワードでサインイン" in [text(legend) for legend in doc.iter("legend")]


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", "Your backup codes will stop working. Are you sure?"),
        ("de", "Ihre Backup-Codes funktionieren dann nicht mehr. Sind Sie sicher?"),
        ("en", "Your backup codes will stop working. Are you sure?"),
        ("fr", "Vos codes de secours ne fonctionneront plus. Êtes-vous sûr ?"),
    ],
)
def test_a_confirmation_speaks_each_pages_language(app, lang, shown):
    """The imported macros' module is cached by Jinja: its words must still follow each page."""
    nodes = recorded("settings_flow")["body"]["ui"]["nodes"]
    disable = copy.deepcopy(next(n for n in nodes if n["attributes"].get("name") == "lookup_secret_regenerate"))
    disable["attributes"]["name"] = "lookup_secret_disable"  # Kratos's button once codes exist
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        html = render_template_string('{% import "macros/nodes.html" as ui %}{{ ui.nodes([n]) }}', n=disable)
    (why,) = [p for p in parse(html, strict=False).iter("p") if (p.get("id") or "").endswith("-why")]
    assert text(why) == shown


@pytest.mark.parametrize(
    ("lang", "wait", "shown"),
    [
        ("en", 1, "Too many attempts. Try again in about 1 second."),
        ("en", 600, "Too many attempts. Try again in about 10 minutes."),
        ("de", 45, "Zu viele Versuche. Versuchen Sie es in etwa 45 Sekunden erneut."),
        ("de", 60, "Zu viele Versuche. Versuchen Sie es in etwa 1 Minute erneut."),
        ("ja", 120, "試行回数が多すぎます。約2分後にもう一度お試しください。"),
    ],
)
def test_the_wait_is_said_with_the_languages_plural(app, lang, wait, shown):
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        assert limits.message(wait) == shown


@pytest.mark.parametrize(
    ("lang", "moment", "shown"),
    [
        ("de", "2026-12-01T11:57:00Z", "vor 3 Minuten"),
        ("de", "2026-12-01T10:59:59Z", "vor 1 Stunde"),
        ("fr", "2026-11-29T12:00:00Z", "il y a 2 jours"),
        ("es", "2026-12-01T11:59:30Z", "justo ahora"),
        ("pt_BR", "2026-12-02T13:00:00Z", "em 1 dia"),
    ],
)
def test_session_times_in_other_languages(app, lang, moment, shown):
    with app.test_request_context("/", headers={"Accept-Language": lang.replace("_", "-")}):
        assert ago(moment, NOW) == shown


def test_the_sessions_page_in_spanish(signed_in, kratos):
    kratos.answer("GET", "/sessions", "sessions_list")
    doc = parse(signed_in.get("/sessions?result=revoked", headers={"Accept-Language": "es"}).get_data(as_text=True))
    assert doc.find(".//h1").text == "Tus sesiones"
    assert text(doc.find(".//p[@id='result']")) == "Se cerró esa sesión."
    headers = [text(th) for th in doc.iter("th")]
    assert headers == [
        "Dispositivo",
        "Dirección IP",
        "Iniciada",
        "Último inicio de sesión",
        "Sesión iniciada con",
        "Acciones",
    ]
