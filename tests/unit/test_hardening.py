"""What a careful user (or attacker) would try: failures never pass for success, no
foreign forms, ids only, no codes or foreign scripts echoed, odd Kratos bodies survived."""

import copy

from flask import render_template_string
from werkzeug.datastructures import MultiDict

from app.flows import prefill
from app.kratos import Answer
from app.outcomes import Flow, NewFlow, Reason, interpret
from support import recorded


def test_a_failed_sign_out_never_claims_success(signed_in, kratos):
    kratos.answer("GET", "/self-service/logout/browser", "login_csrf_violation")  # Kratos refuses (403)
    resp = signed_in.post("/logout")
    assert resp.status_code == 502 and "Sign-out did not complete" in resp.get_data(as_text=True)
    assert 'href="/logout"' in resp.get_data(as_text=True)


def test_sign_out_of_an_already_ended_session_goes_to_sign_in(signed_in, kratos):
    kratos.answer("GET", "/self-service/logout/browser", "whoami_unauthorized")
    resp = signed_in.post("/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"


def test_revoking_others_reports_failure_honestly(signed_in, kratos):
    kratos.answer("DELETE", "/sessions", "flow_not_found")
    kratos.answer("GET", "/sessions", "sessions_list")
    html = signed_in.post("/sessions/revoke-others", follow_redirects=True).get_data(as_text=True)
    assert "could not be signed out" in html and "were signed out" not in html


def test_session_ids_must_be_kratos_ids(signed_in, kratos):
    kratos.answer("GET", "/sessions", "sessions_list")
    html = signed_in.post("/sessions/revoke", data={"session_id": "../../admin?x=1"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "That is not one of your sessions." in html
    assert "DELETE" not in [c.request.method for c in kratos.calls]


def test_forms_from_other_sites_are_refused_before_kratos_is_asked(client, kratos):
    client.set_cookie("ory_kratos_session", "x", domain="127.0.0.1")
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        assert client.post("/logout", headers=headers).status_code == 403, headers
    assert len(kratos.calls) == 0


def test_forms_from_this_site_pass(signed_in, kratos):
    kratos.answer("GET", "/self-service/logout/browser", "logout_flow")
    kratos.answer("GET", "/self-service/logout", "logout_success")
    resp = signed_in.post("/logout", headers={"Origin": "http://127.0.0.1:4455"})
    assert resp.status_code == 303


def test_one_time_codes_are_never_copied_into_a_restarted_form():
    flow = Flow(copy.deepcopy(recorded("recovery_code_sent")["body"]))
    prefill(flow, MultiDict({"code": "123456", "email": "me@example.com"}))
    assert not flow.value_of("code")


def test_only_kratos_scripts_get_the_page_nonce(app):
    nodes = copy.deepcopy(recorded("login_flow")["body"]["ui"]["nodes"])
    script = next(n for n in nodes if n["type"] == "script")
    script["attributes"]["src"] = "https://evil.example/steal.js"
    with app.test_request_context("/"):
        html = render_template_string('{% import "macros/nodes.html" as ui %}{{ ui.nodes([n]) }}', n=script)
    assert "evil.example" not in html and "<script" not in html


def test_expired_flow_with_null_details_starts_a_new_flow_as_expired():
    body = copy.deepcopy(recorded("login_expired_fetch")["body"])
    body["error"]["details"] = None
    assert interpret(Answer(410, body)) == NewFlow(Reason.EXPIRED)


def test_error_page_repeats_no_arbitrary_text(client, kratos):
    kratos.answer("GET", "/self-service/errors", "flow_not_found")
    html = client.get("/error?id=Call+0800+SCAM+now").get_data(as_text=True)
    assert "SCAM" not in html


def test_health_costs_kratos_nothing_even_with_a_session_cookie(client, kratos):
    client.set_cookie("ory_kratos_session", "x", domain="127.0.0.1")
    assert client.get("/health/alive").status_code == 200
    assert len(kratos.calls) == 0
