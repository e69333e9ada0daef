"""The generic flow view (login, registration) against recorded Kratos answers."""

from urllib.parse import parse_qs, urlsplit

import requests
import responses

from support import recorded
from unit.conftest import KRATOS, UI, recorded_kratos_origin


def login_id() -> str:
    return recorded("login_flow_fetched")["body"]["id"]


CREDENTIALS_INVALID = "The provided credentials are invalid"


def location_query(resp) -> dict:
    return parse_qs(urlsplit(resp.headers["Location"]).query)


def test_login_without_flow_starts_one_at_kratos_keeping_allowed_parameters(client):
    resp = client.get(
        "/login", query_string={"return_to": UI + "/somewhere", "refresh": "true", "aal": "aal2", "unrelated": "x"}
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith(recorded_kratos_origin() + "/self-service/login/browser?")
    assert location_query(resp) == {"return_to": [UI + "/somewhere"], "refresh": ["true"], "aal": ["aal2"]}


def test_untrusted_return_to_is_dropped_before_reaching_kratos(client):
    for evil in ("https://evil.example/", "//evil.example/x", "http://127.0.0.1:4455.evil.example/"):
        resp = client.get("/login", query_string={"return_to": evil})
        assert "return_to" not in location_query(resp), evil


def test_login_flow_renders_a_form_posting_to_the_ui(client, kratos):
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    client.set_cookie("csrf_token_abc", "csrf-cookie-value", domain="127.0.0.1")
    resp = client.get(f"/login?flow={login_id()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f'action="/login?flow={login_id()}' in html
    assert 'type="hidden" name="csrf_token"' in html
    assert 'name="identifier"' in html and 'type="password" name="password"' in html
    button = next(
        n for n in recorded("login_flow_fetched")["body"]["ui"]["nodes"] if n["attributes"].get("type") == "submit"
    )
    assert 'name="method" value="password"' in html and f">{button['meta']['label']['text']}</button>" in html
    # The browser's Cookie reaches Kratos (the GET needs the CSRF cookie), asking for JSON.
    assert kratos.calls[0].request.headers["Cookie"] == "csrf_token_abc=csrf-cookie-value"
    assert kratos.calls[0].request.headers["Accept"] == "application/json"


def test_wrong_password_shows_kratos_message_and_keeps_the_identifier(client, kratos):
    kratos.answer("POST", "/self-service/login", "login_invalid_credentials")
    resp = client.post(
        f"/login?flow={login_id()}",
        data={
            "csrf_token": "t",
            "identifier": "recorded@example.com",
            "password": "wrong-password",
            "method": "password",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert CREDENTIALS_INVALID in html
    assert 'value="recorded@example.com"' in html
    assert "wrong-password" not in html
    # The form was relayed to Kratos as the browser sent it.
    sent = parse_qs(kratos.calls[0].request.body)
    assert sent["identifier"] == ["recorded@example.com"] and sent["method"] == ["password"]


def test_successful_login_follows_continue_with_and_relays_every_cookie(client, kratos):
    rec = kratos.answer("POST", "/self-service/login", "login_success")
    resp = client.post(
        f"/login?flow={login_id()}", data={"csrf_token": "t", "identifier": "a", "password": "b", "method": "password"}
    )
    assert resp.status_code == 303
    assert resp.headers["Location"] == rec["body"]["continue_with"][0]["redirect_browser_to"]
    relayed = resp.headers.getlist("Set-Cookie")
    assert [c.split("=")[0] for c in relayed] == [c.split("=")[0] for c in rec["set_cookie"]]
    assert any(c.startswith("ory_kratos_session=") for c in relayed)


def test_expired_form_continues_in_kratos_new_flow_keeping_what_was_typed(client, kratos):
    expired = kratos.answer("POST", "/self-service/login", "login_expired_submit")
    kratos.answer("GET", "/self-service/login/flows", "login_flow_fetched")
    resp = client.post(
        f"/login?flow={login_id()}",
        data={"csrf_token": "t", "identifier": "me@example.com", "password": "secret-typed", "method": "password"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "That form had expired" in html
    assert 'value="me@example.com"' in html and "secret-typed" not in html
    assert kratos.calls[1].request.params == {"id": expired["body"]["use_flow_id"]}


def test_csrf_rejection_starts_a_fresh_flow_with_an_explanation(client, kratos):
    kratos.answer("POST", "/self-service/login", "login_csrf_violation")
    init = kratos.answer("GET", "/self-service/login/browser", "login_flow")
    resp = client.post(
        f"/login?flow={login_id()}&return_to={UI}/back",
        data={"csrf_token": "stale", "identifier": "me@example.com", "password": "p"},
    )
    html = resp.get_data(as_text=True)
    assert "For your security" in html and 'value="me@example.com"' in html
    assert kratos.calls[1].request.params == {"return_to": f"{UI}/back"}
    assert init["body"]["id"] in html


def test_submit_to_unknown_flow_starts_over(client, kratos):
    kratos.answer("POST", "/self-service/login", "submit_unknown_flow")
    kratos.answer("GET", "/self-service/login/browser", "login_flow")
    resp = client.post(f"/login?flow={login_id()}", data={"identifier": "me@example.com"})
    assert "no longer valid" in resp.get_data(as_text=True)


def test_malformed_flow_id_never_reaches_kratos_submit(client, kratos):
    kratos.answer("GET", "/self-service/login/browser", "login_flow")
    resp = client.post("/login?flow=../../admin", data={"identifier": "me@example.com"})
    assert resp.status_code == 200 and "no longer valid" in resp.get_data(as_text=True)
    assert [c.request.method for c in kratos.calls] == ["GET"]


def test_unknown_flow_link_restarts_at_kratos(client, kratos):
    kratos.answer("GET", "/self-service/login/flows", "flow_not_found")
    resp = client.get(f"/login?flow={login_id()}&return_to={UI}/x")
    assert resp.status_code == 303
    assert location_query(resp) == {"return_to": [f"{UI}/x"]}


def test_malformed_flow_link_restarts_without_asking_kratos(client, kratos):
    resp = client.get("/login?flow=not-a-flow")
    assert resp.status_code == 303 and "/self-service/login/browser" in resp.headers["Location"]
    assert len(kratos.calls) == 0


def test_expired_flow_link_goes_where_kratos_says(client, kratos):
    rec = kratos.answer("GET", "/self-service/login/flows", "login_expired_fetch")
    resp = client.get(f"/login?flow={login_id()}")
    assert resp.status_code == 303
    assert resp.headers["Location"] == rec["body"]["error"]["details"]["redirect_to"]


def test_registration_renders_traits_and_password_errors(client, kratos):
    rec = kratos.answer("POST", "/self-service/registration", "registration_invalid_password")
    flow_id = rec["body"]["id"]
    resp = client.post(
        f"/registration?flow={flow_id}",
        data={"traits.email": "recorded@example.com", "password": "short", "method": "password"},
    )
    html = resp.get_data(as_text=True)
    password_node = next(n for n in rec["body"]["ui"]["nodes"] if n["attributes"].get("name") == "password")
    assert resp.status_code == 400
    assert password_node["messages"][0]["text"] in html
    # Step two of registration carries the email from step one, and says so.
    assert 'name="traits.email" value="recorded@example.com"' in html
    assert '<strong id="lead-account">recorded@example.com</strong>' in html


def test_signed_in_user_visiting_login_goes_home(signed_in):
    resp = signed_in.get("/login")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"


def test_signed_in_user_with_a_login_challenge_still_goes_to_kratos(signed_in):
    resp = signed_in.get("/login?login_challenge=abc")
    assert resp.headers["Location"].endswith("/self-service/login/browser?login_challenge=abc")


def test_kratos_unreachable_shows_503_with_retry(client, kratos):
    kratos.add(responses.GET, KRATOS + "/self-service/login/flows", body=requests.ConnectionError("refused"))
    resp = client.get(f"/login?flow={login_id()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert 'id="retry"' in html and f"/login?flow={login_id()}" in html
    assert "refused" not in html and "Traceback" not in html


def test_kratos_server_error_shows_502_without_kratos_details(client, kratos):
    kratos.answer("GET", "/self-service/login/flows", "flow_error", status=500)
    resp = client.get(f"/login?flow={login_id()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 502
    assert "stub" not in html.lower() and "system administrator" not in html
