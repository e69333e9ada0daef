"""A new password, by settings or by recovery, ends every other session of the account
(Kratos's revoke_active_sessions hook in kratos/kratos.yml), against the real Kratos."""

from __future__ import annotations

from urllib.parse import urlsplit

from formclient import FormClient
from mailsink import wait_for_code
from support import new_email, sign_in, sign_up


def whoami_status(stack, client: FormClient) -> int:
    """What Kratos itself says of this browser's session cookie."""
    return client.http.get(
        stack.public_url + "/sessions/whoami", headers={"Accept": "application/json"}, timeout=10
    ).status_code


def test_a_password_change_in_settings_signs_the_other_session_out(stack):
    email = new_email()
    laptop, _ = sign_up(stack, email)
    thief = FormClient(user_agent="Stolen-Session/1.0")
    sign_in(thief, stack, email)
    assert whoami_status(stack, thief) == 200

    page = laptop.get(stack.ui_url + "/settings")
    saved = page.submit({"password": "Changed-passw0rd"}, button="Change password", form_id="group-password")
    assert ("success", "Your changes have been saved!") in saved.messages

    assert whoami_status(stack, thief) == 401
    assert "You are not signed in" in thief.get(stack.ui_url + "/").text
    assert whoami_status(stack, laptop) == 200
    assert f"Signed in as {email}" in laptop.get(stack.ui_url + "/").text


def test_recovery_by_code_signs_the_other_session_out_and_keeps_the_recovering_one(stack):
    email = new_email()
    thief, _ = sign_up(stack, email)  # the session someone else got hold of
    _, mails = wait_for_code(stack.maildir, email)  # sign-up's verification mail
    assert whoami_status(stack, thief) == 200

    owner = FormClient(user_agent="Owner-Browser/1.0")
    page = owner.get(stack.ui_url + "/recovery").submit({"email": email}, button="Continue")
    code, _ = wait_for_code(stack.maildir, email, seen=mails)
    settings = page.submit({"code": code}, button="Continue")
    assert urlsplit(settings.url).path == "/settings"
    # The code alone signs the thief out: the reset happens when recovery succeeds.
    assert whoami_status(stack, thief) == 401
    assert whoami_status(stack, owner) == 200

    done = settings.submit({"password": "Recovered-passw0rd"}, button="Set new password", form_id="group-password")
    assert done.status == 200
    assert "You are not signed in" in thief.get(stack.ui_url + "/").text
    assert whoami_status(stack, owner) == 200
    assert f"Signed in as {email}" in owner.get(stack.ui_url + "/").text
