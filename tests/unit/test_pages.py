"""Home, error, logout and the app's own error pages."""

from datetime import UTC, datetime

from support import recorded
from unit.conftest import KRATOS


def test_anonymous_home_costs_no_kratos_call(client, kratos):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "You are not signed in" in resp.get_data(as_text=True)
    assert len(kratos.calls) == 0


def test_home_shows_who_is_signed_in(signed_in, kratos):
    session = recorded("whoami")["body"]
    html = signed_in.get("/").get_data(as_text=True)
    assert session["identity"]["traits"]["email"] in html
    assert "aal1" in html
    # The sign-in moment, the English way (the page speaks the browser's language; none asked: English).
    since = datetime.fromisoformat(session["authenticated_at"].replace("Z", "+00:00")).astimezone(UTC)
    assert f"{since:%b} {since.day}, {since.year}, {since:%-I:%M}\u202f{since:%p} UTC" in html  # CLDR: a narrow space
    # Browser headers reach Kratos so sessions record the user's device.
    sent = kratos.calls[0].request.headers
    assert sent["Cookie"] == "ory_kratos_session=opaque-session-value"


def test_stale_session_cookie_means_anonymous(client, kratos):
    client.set_cookie("ory_kratos_session", "expired", domain="127.0.0.1")
    kratos.answer("GET", "/sessions/whoami", "whoami_unauthorized")
    assert "You are not signed in" in client.get("/").get_data(as_text=True)
    assert len(kratos.calls) == 1


def test_kratos_error_page_is_friendly_and_hides_internals(client, kratos):
    """Kratos's own 500 (its database gone, say) is the UI's 502: the UI did not fail, and may be retried."""
    rec = kratos.answer("GET", "/self-service/errors", "flow_error")
    resp = client.get("/error?id=stub:500")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 502
    assert "Sign-in service error" in html and "try again" in html
    assert rec["body"]["error"]["reason"] not in html
    assert rec["body"]["error"]["message"] not in html


def test_error_page_without_details_explains_itself(client, kratos):
    kratos.answer("GET", "/self-service/errors", "flow_not_found")
    resp = client.get("/error?id=unknown")
    assert resp.status_code == 404
    assert "no details for this error" in resp.get_data(as_text=True)


def test_logout_requires_a_session_and_returns_here_after_login(client):
    resp = client.get("/logout")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/login?return_to=http://127.0.0.1:4455/logout"


def test_logout_asks_before_signing_out(signed_in, kratos):
    html = signed_in.get("/logout").get_data(as_text=True)
    assert 'method="post" action="/logout"' in html
    assert [c.request.url.split("?")[0].rsplit("/", 2)[-2:] for c in kratos.calls] == [["sessions", "whoami"]]


def test_logout_post_ends_the_session_and_relays_the_cleared_cookie(signed_in, kratos):
    kratos.answer("GET", "/self-service/logout/browser", "logout_flow")
    done = kratos.answer("GET", "/self-service/logout", "logout_success")
    resp = signed_in.post("/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert resp.headers.getlist("Set-Cookie") == done["set_cookie"]
    assert kratos.calls[-1].request.params == {"token": recorded("logout_flow")["body"]["logout_token"]}


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "Page not found" in resp.get_data(as_text=True)


def test_unexpected_exception_is_a_friendly_500_without_traceback(app, client):
    def broken():
        raise RuntimeError("internal detail: db password is hunter2")

    app.add_url_rule("/broken", view_func=broken)
    app.config["TESTING"] = False  # as in production: handled, not re-raised
    resp = client.get("/broken")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "Something went wrong" in html
    assert "hunter2" not in html and "Traceback" not in html and "RuntimeError" not in html


def test_alive_costs_kratos_nothing(client, kratos):
    resp = client.get("/health/alive")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    assert len(kratos.calls) == 0


def test_ready_when_kratos_is_ready(client, kratos):
    kratos.answer("GET", "/health/ready", "health_ready")
    resp = client.get("/health/ready")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_not_ready_when_kratos_is_unreachable_or_not_ready(client, kratos):
    import requests

    kratos.add("GET", KRATOS + "/health/ready", body=requests.ConnectionError("refused"))
    assert client.get("/health/ready").status_code == 503
    kratos.replace("GET", KRATOS + "/health/ready", json=recorded("flow_error")["body"], status=503)
    resp = client.get("/health/ready")
    assert resp.status_code == 503 and resp.get_json()["kratos"] == "not ready (503)"
