"""Settings read as a person expects: a card per method with its state and purpose, buttons
named for their action, the TOTP secret only on request, backup codes as a download."""

import json
import threading

from app.flows import settings
from app.flows.settings import signed_in_identity_id as real_signed_in_identity_id  # before conftest stubs it
from page_checks import parse
from support import recorded

SETTINGS_ID = recorded("settings_flow")["body"]["id"]


def settings_page(client, kratos, fixture="settings_flow"):
    kratos.answer("GET", "/self-service/settings/flows", fixture, status=200)
    return parse(client.get(f"/settings?flow={recorded(fixture)['body']['id']}").get_data(as_text=True))


def form(doc, group):
    return next(f for f in doc.iter("form") if f.get("id") == f"group-{group}")


def text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def buttons(el) -> list[str]:
    return [text(b) for b in el.iter("button")]


def test_each_card_says_what_it_is_and_whether_it_is_on(signed_in, kratos):
    doc = settings_page(signed_in, kratos)
    for group, state in (("totp", "Not set up"), ("lookup_secret", "Not set up"), ("password", "On")):
        card = form(doc, group)
        assert [text(p) for p in card.iter("p") if "state" in p.get("class", "").split()] == [state]
        assert [p for p in card.iter("p") if p.get("class") == "why"]


def identity_path() -> str:
    return f"/admin/identities/{recorded('whoami')['body']['identity']['id']}"


def with_credential_dates(monkeypatch):
    monkeypatch.setattr(settings, "signed_in_identity_id", real_signed_in_identity_id)


def password_state(doc) -> str:
    return text(next(p for p in form(doc, "password").iter("p") if "state" in p.get("class", "").split()))


def on_since(fixture: str = "admin_identity") -> tuple[str, str]:
    """The start and end of the password card's state for that recorded identity."""
    created = recorded(fixture)["body"]["credentials"]["password"]["created_at"][:10]  # e.g. 2026-12-01
    year, _, day = created.split("-")
    return f"On since {int(day)} ", year


def test_states_say_since_when_from_the_identitys_credentials(signed_in, kratos, monkeypatch):
    identity = recorded("admin_identity")
    kratos.answer("GET", identity_path(), "admin_identity", admin=True)
    with_credential_dates(monkeypatch)
    doc = settings_page(signed_in, kratos)
    start, year = on_since()
    assert password_state(doc).startswith(start) and password_state(doc).endswith(year)
    # Present but without keys: Kratos keeps a webauthn credential for the identifier alone.
    assert "webauthn" in identity["body"]["credentials"]
    keys = next(p for p in form(doc, "webauthn").iter("p") if "state" in p.get("class", "").split())
    assert text(keys) == "Not set up"
    assert kratos.admin_calls() == [("GET", identity_path())]


def test_buttons_are_named_for_their_action(signed_in, kratos):
    doc = settings_page(signed_in, kratos)
    assert buttons(form(doc, "password")) == ["Change password"]
    assert buttons(form(doc, "profile")) == ["Save email address"]
    assert "Save" not in [b for f in doc.iter("form") for b in buttons(f)]


def test_the_totp_secret_shows_only_after_add_authenticator_app(signed_in, kratos):
    doc = settings_page(signed_in, kratos)
    details = next(form(doc, "totp").iter("details"))
    assert "open" not in details.attrib
    assert text(details.find("summary")) == "Add authenticator app"
    assert details.find(".//img") is not None and details.find(".//input[@name='totp_code']") is not None


def test_backup_codes_download_as_text_never_cached(signed_in, kratos):
    codes_flow = recorded("settings_lookup_secret_regenerated")["body"]
    doc = settings_page(signed_in, kratos, "settings_lookup_secret_regenerated")
    link = next(a for a in form(doc, "lookup_secret").iter("a") if a.get("id") == "download-lookup_secret")
    assert link.get("href") == f"/settings/backup-codes.txt?flow={codes_flow['id']}"  # the flow, not the codes
    resp = signed_in.get(link.get("href"))
    codes = [
        s["text"]
        for n in codes_flow["ui"]["nodes"]
        if n["attributes"].get("id") == "lookup_secret_codes"
        for s in n["attributes"]["text"]["context"]["secrets"]
    ]
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="backup-codes.txt"'
    assert all(code in resp.get_data(as_text=True).splitlines() for code in codes)


def test_no_codes_no_download(signed_in, kratos):
    kratos.answer("GET", "/self-service/settings/flows", "settings_flow", status=200)
    resp = signed_in.get(f"/settings/backup-codes.txt?flow={SETTINGS_ID}")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_the_download_needs_a_session(client):
    assert client.get(f"/settings/backup-codes.txt?flow={SETTINGS_ID}").status_code == 303


def answering(calls: list, name: str, fixture: str, barrier: threading.Barrier | None = None):
    """Kratos's recorded answer through a callback that notes `name` in `calls` when it is asked
    (after waiting at `barrier`, if given: it breaks unless the other call waits there too)."""

    def callback(request):
        if barrier is not None:
            barrier.wait()
        calls.append(name)
        return 200, {}, json.dumps(recorded(fixture)["body"])

    return callback


def test_after_a_change_the_dates_are_asked_for_once_kratos_has_saved_it(signed_in, kratos, monkeypatch):
    """A submission may add a credential: its date is read after Kratos answered, never before."""
    with_credential_dates(monkeypatch)
    order = []
    kratos.answer_with("GET", identity_path(), answering(order, "identity", "admin_identity"), admin=True)
    kratos.answer_with("POST", "/self-service/settings", answering(order, "submit", "settings_flow"))
    resp = signed_in.post(
        f"/settings?flow={SETTINGS_ID}&section=password",
        data={"csrf_token": "t", "method": "password", "password": "a new password, long enough"},
    )
    assert order == ["submit", "identity"]
    start, year = on_since()
    assert password_state(parse(resp.get_data(as_text=True))).startswith(start)


def test_shown_not_submitted_the_dates_are_asked_for_while_the_flow_is_fetched(signed_in, kratos, monkeypatch):
    """Kratos works on both at once, so the page waits for one call, not two in a row."""
    with_credential_dates(monkeypatch)
    both_at_once = threading.Barrier(2, timeout=3)  # broken unless each call arrives while the other waits
    met = []
    kratos.answer_with("GET", identity_path(), answering(met, "identity", "admin_identity", both_at_once), admin=True)
    kratos.answer_with("GET", "/self-service/settings/flows", answering(met, "flow", "settings_flow", both_at_once))
    doc = parse(signed_in.get(f"/settings?flow={SETTINGS_ID}").get_data(as_text=True))
    assert sorted(met) == ["flow", "identity"]
    start, year = on_since()
    assert password_state(doc).startswith(start) and password_state(doc).endswith(year)


def test_dates_that_cannot_be_read_leave_the_page_as_it_is(signed_in, kratos, monkeypatch):
    with_credential_dates(monkeypatch)
    kratos.unreachable("GET", identity_path(), admin=True)
    doc = settings_page(signed_in, kratos)
    assert password_state(doc) == "On"
    assert buttons(form(doc, "password")) == ["Change password"]  # the forms are all there
