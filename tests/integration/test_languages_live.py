"""Against the real Kratos: a German browser signs in with a wrong password and reads Kratos's
error and the page around it in German; the switcher (a plain form) changes the language of a
live flow; the code mails come in the page's language (the UI sends it as transient_payload.locale,
kratos/courier-templates read it); Kratos itself answers in English whatever Accept-Language says."""

from __future__ import annotations

import uuid

import html5lib
import requests

from formclient import FormClient
from mailsink import mail_text, read_mails, wait_for_code
from support import new_email, sign_out, sign_up

WRONG_PASSWORD_DE = (
    "Die Zugangsdaten sind ungültig. Prüfen Sie Passwort, Benutzernamen, "
    "E-Mail-Adresse oder Telefonnummer auf Tippfehler."
)


def parse(page):
    return html5lib.parse(page.resp.text, namespaceHTMLElements=False)


def message(doc, message_id: int) -> str:
    (found,) = [p for p in doc.iter("p") if p.get("data-message-id") == str(message_id)]
    return "".join(found.itertext()).strip()


def german_client() -> FormClient:
    client = FormClient()
    client.http.headers["Accept-Language"] = "de-DE,de;q=0.9,en;q=0.6"
    return client


def test_a_german_browser_reads_the_wrong_password_error_in_german(stack):
    client = german_client()
    page = client.get(stack.ui_url + "/login")
    doc = parse(page)
    assert doc.get("lang") == "de"
    assert [b for b in doc.iter("button") if "".join(b.itertext()).strip() == "Mit Passwort anmelden"]
    page = page.submit(
        {"identifier": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong-Passw0rd"},
        button="Mit Passwort anmelden",
    )
    doc = parse(page)
    assert message(doc, 4000006) == WRONG_PASSWORD_DE
    # The page around it is German too.
    assert doc.get("lang") == "de"
    nav = ["".join(a.itertext()).strip() for a in doc.find(".//header").iter("a")]
    assert nav[1:] == ["Anmelden", "Konto erstellen"]
    labels = ["".join(lb.itertext()).strip() for lb in doc.iter("label")]
    assert "Passwort" in labels


def test_the_switcher_changes_the_language_of_a_live_flow_without_javascript(stack):
    client = FormClient()  # no Accept-Language: English
    page = client.get(stack.ui_url + "/login")
    assert parse(page).get("lang") == "en"
    flow_url = page.url
    page = page.submit(button="Français")
    assert page.url == flow_url  # the same flow, now in French
    doc = parse(page)
    assert doc.get("lang") == "fr"
    assert [b for b in doc.iter("button") if "".join(b.itertext()).strip() == "Se connecter avec un mot de passe"]
    page = page.submit(
        {"identifier": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong-Passw0rd"},
        button="Se connecter avec un mot de passe",
    )
    assert message(parse(page), 4000006).startswith("Les identifiants fournis ne sont pas valides.")


def test_kratos_itself_answers_in_english_whatever_the_language(stack):
    """Kratos v1.3.1 has no translations: its text is English, so the UI translates by id."""
    answer = requests.get(
        stack.public_url + "/self-service/login/api",
        timeout=10,
        headers={"Accept": "application/json", "Accept-Language": "de"},
    )
    labels = {
        n["meta"]["label"]["id"]: n["meta"]["label"]["text"]
        for n in answer.json()["ui"]["nodes"]
        if (n.get("meta") or {}).get("label")
    }
    assert labels[1070001] == "Password"


def newest_mail(stack, recipient: str):
    return [m for m in read_mails(stack.maildir) if recipient in str(m["to"])][-1]


def test_a_german_browser_gets_its_recovery_code_mail_in_german(stack):
    email = new_email()
    client, _ = sign_up(stack, email)  # in English: the account exists
    sign_out(client, stack)
    client.http.headers["Accept-Language"] = "de"
    _, seen = wait_for_code(stack.maildir, email)  # the sign-up's verification mail, sent in the background
    page = client.get(stack.ui_url + "/recovery")
    page = page.submit({"email": email}, button="Weiter")
    assert message(parse(page), 1060003).startswith("Eine E-Mail mit einem Wiederherstellungscode")
    code, _ = wait_for_code(stack.maildir, email, seen=seen)
    mail = newest_mail(stack, email)
    assert mail["subject"] == "Zugang zu Ihrem Konto wiederherstellen"
    assert (
        mail_text(mail)
        .replace("\r\n", "\n")
        .startswith("Hallo,\n\nbitte stellen Sie den Zugang zu Ihrem Konto wieder her")
    )
    assert code in mail_text(mail)


def test_a_japanese_sign_up_gets_its_verification_mail_in_japanese(stack):
    email = new_email()
    client = FormClient()
    client.http.headers["Accept-Language"] = "ja"
    page = client.get(stack.ui_url + "/registration")
    page = page.submit({"traits.email": email}, button="新規登録")
    page = page.submit({"password": "a-Good-passw0rd"}, button="新規登録")
    wait_for_code(stack.maildir, email)
    mail = newest_mail(stack, email)
    assert mail["subject"] == "メールアドレスを確認してください"
    assert mail_text(mail).startswith("こんにちは。")


def test_an_english_browser_gets_kratos_english_mail(stack):
    email = new_email()
    sign_up(stack, email)
    wait_for_code(stack.maildir, email)
    assert newest_mail(stack, email)["subject"] == "Please verify your email address"
