"""Kratos refuses a change when another request changed the same data at that moment (its
"concurrent update", rolled back): the UI sends the same form once more, and only once."""

from __future__ import annotations

from urllib.parse import parse_qs

from formclient import Parsed
from support import recorded

SAVED = "settings_success"
REFUSED = "settings_concurrent_update"


def settings_id() -> str:
    return recorded("settings_flow")["body"]["id"]


def submits(kratos) -> list[dict]:
    return [parse_qs(c.request.body) for c in kratos.calls if c.request.method == "POST"]


def change_password(client):
    return client.post(
        f"/settings?flow={settings_id()}&section=password",
        data={"csrf_token": "t", "method": "password", "password": "a-New-passw0rd"},
    )


def test_a_refused_change_is_sent_again_and_saved(signed_in, kratos):
    kratos.answer("POST", "/self-service/settings", REFUSED)
    saved = kratos.answer("POST", "/self-service/settings", SAVED)["body"]
    resp = change_password(signed_in)
    assert resp.status_code == 200
    page = Parsed.of(resp.get_data(as_text=True))
    (message,) = saved["ui"]["messages"]  # "Your changes have been saved!"
    assert ("success", message["text"]) in page.messages
    first, again = submits(kratos)
    assert first == again and first["password"] == ["a-New-passw0rd"]


def test_a_second_refusal_is_not_sent_a_third_time(signed_in, kratos):
    kratos.answer("POST", "/self-service/settings", REFUSED)
    kratos.answer("POST", "/self-service/settings", REFUSED)
    kratos.answer("GET", "/self-service/settings/browser", "settings_flow")
    resp = change_password(signed_in)
    assert len(submits(kratos)) == 2
    # As for any flow Kratos no longer takes: a new one, saying so; no Kratos words on the page.
    assert resp.status_code in (200, 303)
    assert "serialize" not in resp.get_data(as_text=True)


def test_other_refusals_are_not_sent_again(signed_in, kratos):
    kratos.answer("POST", "/self-service/settings", "settings_refresh_required")
    change_password(signed_in)
    assert len(submits(kratos)) == 1
