"""A button's result is a page that can be reloaded and bookmarked: POST -> 303 -> GET,
with the outcome named by a whitelisted key, and signing in again returns to a GET page."""

from urllib.parse import parse_qs, urlsplit

from support import recorded
from unit.conftest import UI


def test_revoking_answers_303_to_the_list_page_that_says_what_happened(signed_in, kratos):
    other = recorded("sessions_list")["body"][0]
    kratos.answer("DELETE", f"/sessions/{other['id']}", "session_revoked")
    kratos.answer("GET", "/sessions", "sessions_list")
    resp = signed_in.post("/sessions/revoke", data={"session_id": other["id"]})
    assert resp.status_code == 303
    page = signed_in.get(resp.headers["Location"])
    assert page.status_code == 200 and "That session was signed out." in page.get_data(as_text=True)
    # Reloading the result asks Kratos to revoke nothing.
    deletes = sum(c.request.method == "DELETE" for c in kratos.calls)
    signed_in.get(resp.headers["Location"])
    assert sum(c.request.method == "DELETE" for c in kratos.calls) == deletes


def test_the_result_key_is_never_shown_as_text(signed_in, kratos):
    kratos.answer("GET", "/sessions", "sessions_list")
    html = signed_in.get("/sessions?result=You+have+been+hacked").get_data(as_text=True)
    assert "hacked" not in html and 'class="msg' not in html


def test_opening_the_revoke_url_lands_on_the_list(signed_in):
    for path in ("/sessions/revoke", "/sessions/revoke-others"):
        resp = signed_in.get(path)
        assert resp.status_code == 303 and resp.headers["Location"] == "/sessions"


def test_a_session_sign_out_pressed_after_the_session_ended_returns_to_a_get_page(client):
    resp = client.post("/sessions/revoke", data={"session_id": "x"})
    assert resp.status_code == 303
    return_to = parse_qs(urlsplit(resp.headers["Location"]).query)["return_to"][0]
    assert return_to == UI + "/sessions/revoke"
    # ...which, opened after signing in, is the list page (not 405).
    assert client.get("/sessions/revoke").status_code == 303


def test_a_post_only_url_is_never_a_return_to(app):
    from app.auth import this_page

    app.add_url_rule("/press", "press", lambda: "", methods=["POST"])
    with app.test_request_context("/sessions/revoke-others", method="POST", base_url=UI):
        assert this_page() == UI + "/sessions/revoke-others"
    with app.test_request_context("/press", method="POST", base_url=UI):
        assert this_page() == UI + "/"


def test_signing_out_with_no_session_just_lands_signed_out(client):
    resp = client.post("/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
