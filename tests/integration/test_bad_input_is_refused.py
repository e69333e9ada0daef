"""Input the UI refuses before Kratos sees it: oversized bodies, and another user's
session id. Against the real Kratos, counting in Kratos's own request log."""

from __future__ import annotations

from formclient import FormClient
from support import PASSWORD, kratos_requests, new_email, returning_user, sign_up

BIG = 1024 * 1024  # far over the default MAX_CONTENT_LENGTH of 64 KB


def test_an_oversized_sign_in_form_gets_a_413_page_and_never_reaches_kratos(stack):
    client, email = returning_user(stack)
    page = client.get(stack.ui_url + "/login")
    before = kratos_requests(stack, "POST", "/self-service/login")
    refused = page.submit({"identifier": email, "password": "x" * BIG}, button="Sign in")
    assert refused.status == 413
    assert "That form is too large" in refused.text
    assert kratos_requests(stack, "POST", "/self-service/login") == before
    # The same person, with a normal form, signs in (and Kratos's log counts it).
    home = client.get(stack.ui_url + "/login").submit({"identifier": email, "password": PASSWORD}, button="Sign in")
    assert f"Signed in as {email}" in home.text
    assert kratos_requests(stack, "POST", "/self-service/login") == before + 1


def test_an_oversized_post_from_a_signed_in_user_costs_kratos_nothing(stack):
    client, _ = sign_up(stack, new_email())
    before = kratos_requests(stack, "GET", "/sessions/whoami")
    refused = client.request("POST", stack.ui_url + "/sessions/revoke", data={"session_id": "y" * BIG})
    assert refused.status == 413 and "That form is too large" in refused.text
    assert kratos_requests(stack, "GET", "/sessions/whoami") == before


def session_id(stack, client: FormClient) -> str:
    answer = client.http.get(stack.public_url + "/sessions/whoami", headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200
    return answer.json()["id"]


def test_revoking_another_users_session_says_so_and_leaves_it_signed_in(stack):
    bob_email = new_email()
    bob, _ = sign_up(stack, bob_email)
    alice, _ = sign_up(stack, new_email())
    deletes = kratos_requests(stack, "DELETE", f"/sessions/{session_id(stack, bob)}")

    page = alice.request("POST", stack.ui_url + "/sessions/revoke", data={"session_id": session_id(stack, bob)})
    assert page.status == 200
    assert ("error", "That is not one of your sessions.") in page.messages
    assert not any("signed out" in text for _, text in page.messages)
    assert kratos_requests(stack, "DELETE", f"/sessions/{session_id(stack, bob)}") == deletes
    assert f"Signed in as {bob_email}" in bob.get(stack.ui_url + "/").text
