"""Two UI replicas (the production server) behind a real nginx, one Kratos on PostgreSQL: every journey works
whichever replica answers each step, because the UI keeps no state of its own between requests.

nginx sends round-robin, so consecutive requests of one browser go to alternate replicas; each
response names its replica in X-Upstream (added by this test's nginx only), and every journey
checks that its steps really did alternate.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest
import requests

from conftest import postgres_cluster
from formclient import FormClient, Page
from mailsink import wait_for_code
from stack import Ports, Stack, nginx_binary, start_replicas
from support import FAST_KRATOS, PASSWORD, new_email, require, sign_in, sign_out, sign_up, totp

PRIVILEGED = 3  # seconds of privileged session
LIFESPAN = 14  # seconds of session
WINDOW = 8  # EXTEND_SESSION_WITHIN


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, kratos_bin):
    require(Path(nginx_binary()).exists(), f"nginx ({nginx_binary()}, Debian's nginx package)")
    # On PostgreSQL whatever KRATOS_DB says: the session's cluster (started here if need be).
    dsn = postgres_cluster(tmp_path_factory).create_database("kratos_replicas")
    stack = Stack(
        workdir=tmp_path_factory.mktemp("replicas"),
        ports=Ports.free(),
        dsn=dsn,
        server="production",
        kratos_env={
            **FAST_KRATOS,
            "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": f"{PRIVILEGED}s",
            "SESSION_LIFESPAN": f"{LIFESPAN}s",
        },
        ui_env={"EXTEND_SESSION_WITHIN": f"{WINDOW}s", "WEB_CONCURRENCY": "1", "THREADS": "4"},
    )
    stack.start(with_ui=False)
    try:
        start_replicas(stack, 2, expose_upstream=True)
        yield stack
    finally:
        stack.stop()


class Browser(FormClient):
    """A FormClient that notes which replica answered each of its requests to the UI."""

    def __init__(self, stack: Stack, user_agent: str = "Replica-Test/1.0"):
        super().__init__(user_agent)
        self.ui = urlsplit(stack.ui_url).netloc
        self.replicas: list[str] = []
        self.http.hooks["response"].append(self._note)

    def _note(self, resp: requests.Response, *args, **kwargs):
        if urlsplit(resp.url).netloc == self.ui:
            self.replicas.append(resp.headers["X-Upstream"])

    def assert_alternated(self, at_least: int = 4) -> None:
        """Every UI request went to the other replica than the one before."""
        seen = self.replicas
        assert len(seen) >= at_least and len(set(seen)) == 2, seen
        assert all(a != b for a, b in zip(seen, seen[1:], strict=False)), seen
        self.replicas = []


def signed_in_as(browser: FormClient, stack: Stack) -> str:
    return browser.get(stack.ui_url + "/").text


def totp_secret(page) -> str:
    """The secret shown in the authenticator-app section of the settings page."""
    doc = html5lib.parse(page.resp.text, namespaceHTMLElements=False)
    section = next(el for el in doc.iter() if el.get("id") == "group-totp")
    secret = next(el.text for el in section.iter("code") if el.text and re.fullmatch(r"[A-Z2-7]+", el.text))
    return secret


def test_registration_steps_on_alternate_replicas(replicas):
    email = new_email()
    browser = Browser(replicas)
    _, page = sign_up(replicas, email, client=browser)
    assert urlsplit(page.url).path == "/verification" and "verification code has been sent" in page.text
    code, _ = wait_for_code(replicas.maildir, email)
    done = page.submit({"code": code}, button="Continue")
    assert any(kind == "success" for kind, _ in done.messages), done.messages
    assert f"Signed in as {email}" in signed_in_as(browser, replicas)
    browser.assert_alternated(6)


def test_sign_in_with_a_second_factor_on_alternate_replicas(replicas):
    email = new_email()
    browser = Browser(replicas)
    sign_up(replicas, email, client=browser)
    settings = browser.get(replicas.ui_url + "/settings")
    secret = totp_secret(settings)
    saved = settings.submit({"totp_code": totp(secret)}, button="Verify and turn on", form_id="group-totp")
    assert "Your changes have been saved!" in saved.text
    sign_out(browser, replicas)
    browser.replicas = []

    first = sign_in(browser, replicas, email)
    assert "Second factor" in first.text
    home = first.submit({"totp_code": totp(secret)}, button="Use Authenticator")
    assert f"Signed in as {email}" in home.text and "Assurance level aal2" in home.text
    browser.assert_alternated(3)


def test_stale_privilege_change_resumes_after_reauthentication_on_another_replica(replicas):
    email = new_email()
    browser = Browser(replicas)
    sign_up(replicas, email, client=browser)
    settings = browser.get(replicas.ui_url + "/settings")
    time.sleep(PRIVILEGED + 1)
    browser.replicas = []
    page = settings.submit({"password": "After-refresh-1"}, button="Change password", form_id="group-password")
    assert urlsplit(page.url).path == "/login" and "Confirm it's you" in page.text
    back = page.submit({"password": PASSWORD}, button="Sign in")
    assert urlsplit(back.url).path == "/settings" and "Your changes have been saved!" in back.text
    browser.assert_alternated(3)
    sign_out(browser, replicas)
    assert f"Signed in as {email}" in sign_in(browser, replicas, email, "After-refresh-1").text


def test_recovery_on_alternate_replicas(replicas):
    email = new_email()
    sign_up(replicas, email)
    _, mails = wait_for_code(replicas.maildir, email)
    browser = Browser(replicas)
    page = browser.get(replicas.ui_url + "/recovery").submit({"email": email}, button="Continue")
    assert "recovery code has been sent" in page.text
    code, _ = wait_for_code(replicas.maildir, email, seen=mails)
    settings = page.submit({"code": code}, button="Continue")
    assert urlsplit(settings.url).path == "/settings" and "You successfully recovered your account" in settings.text
    done = settings.submit({"password": "Recovered-passw0rd"}, button="Set new password", form_id="group-password")
    assert "Your changes have been saved!" in done.text
    browser.assert_alternated(4)
    sign_out(browser, replicas)
    assert f"Signed in as {email}" in sign_in(browser, replicas, email, "Recovered-passw0rd").text


def test_revoking_a_session_on_one_replica_signs_it_out_on_both(replicas):
    email = new_email()
    laptop, phone = Browser(replicas, "Laptop-Browser/1.0"), Browser(replicas, "Phone-Browser/2.0")
    sign_up(replicas, email, client=laptop)
    sign_in(phone, replicas, email)
    page = laptop.get(replicas.ui_url + "/sessions")
    other = next(f for f in page.forms if f.inputs.get("session_id") and "Phone-Browser/2.0" in _row_text(page, f))
    page.forms = [other]
    after = page.submit(button="Yes, sign it out")
    assert "That session was signed out." in after.text
    for _ in range(2):  # once on each replica
        assert "You are not signed in" in signed_in_as(phone, replicas)
    assert phone.replicas[-1] != phone.replicas[-2]
    laptop.assert_alternated(4)


def _row_text(page, form) -> str:
    """The text of the sessions-table row holding `form` (found by its session id)."""
    session_id = form.inputs["session_id"]["value"]
    doc = html5lib.parse(page.resp.text, namespaceHTMLElements=False)
    row = next(el for el in doc.iter("tr") if el.get("id") == f"session-{session_id}")
    return " ".join("".join(row.itertext()).split())


def _expires_at(stack: Stack, session_id: str) -> datetime:
    answer = requests.get(f"{stack.admin_url}/admin/sessions/{session_id}", timeout=10).json()
    return datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))


def _extends_logged(stack: Stack) -> int:
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "completed handling request" in line and "/extend" in line)


def _signed_up_inside_the_window(stack: Stack) -> tuple[Browser, str, str, datetime]:
    """A new user whose session is now inside the extend window: (browser, email, session id, its end)."""
    email = new_email()
    browser = Browser(stack)
    sign_up(stack, email, client=browser)
    session_id = requests.get(
        stack.public_url + "/sessions/whoami",
        cookies=browser.http.cookies,
        headers={"Accept": "application/json"},
        timeout=10,
    ).json()["id"]
    first_end = _expires_at(stack, session_id)
    time.sleep(LIFESPAN - WINDOW + 1)
    return browser, email, session_id, first_end


def _two_clicks_at_once(stack: Stack, browser: Browser) -> list:
    """The same browser's GET / twice at the same moment: nginx sends one to each replica."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
    answers, go = [], threading.Barrier(2)

    def click():
        go.wait()
        answers.append(requests.get(stack.ui_url + "/", headers={"Cookie": cookie}, timeout=30))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_both_replicas_extending_one_session_at_once_only_moves_its_end_to_now_plus_lifespan(replicas):
    """Each replica remembers its own extend attempts, so two requests at the same moment, one on
    each replica, both extend. Kratos sets expires_at to now + lifespan on every extend (never
    adds to it), so the second extend changes nothing that matters: the session still ends one
    lifespan after the user's last click, and the user stays signed in past its first end."""
    for _attempt in range(3):  # both must have read the old expiry before either extended: a race
        browser, email, session_id, first_end = _signed_up_inside_the_window(replicas)
        before = _extends_logged(replicas)
        answers = _two_clicks_at_once(replicas, browser)
        clicked = datetime.now(UTC)
        time.sleep(0.5)  # Kratos's log line
        if _extends_logged(replicas) - before == 2:
            break
    else:
        pytest.fail("the two replicas never both extended one session in 3 tries")
    assert len({resp.headers["X-Upstream"] for resp in answers}) == 2
    for resp in answers:
        assert f"Signed in as {email}" in Page(browser, resp).text
    end = _expires_at(replicas, session_id)
    assert end > first_end
    assert (end - clicked).total_seconds() <= LIFESPAN + 1  # not two lifespans
    # The re-issued cookie carries the session past its first end, on either replica.
    for resp in answers:
        for name, value in resp.cookies.items():
            browser.http.cookies.set(name, value)
    time.sleep(max(0.0, (first_end - datetime.now(UTC)).total_seconds() + 1))
    assert f"Signed in as {email}" in signed_in_as(browser, replicas)
    assert f"Signed in as {email}" in signed_in_as(browser, replicas)
    assert browser.replicas[-1] != browser.replicas[-2]


def test_two_extends_in_a_row_each_end_the_session_one_lifespan_from_now(replicas):
    """What Kratos itself does, straight from its admin API: an extend sets now + lifespan, every
    time; a second one moves the end only by the time between the two, never by another lifespan."""
    email = new_email()
    browser, _ = sign_up(replicas, email)
    session_id = requests.get(
        replicas.public_url + "/sessions/whoami",
        cookies=browser.http.cookies,
        headers={"Accept": "application/json"},
        timeout=10,
    ).json()["id"]
    ends = []
    for _ in range(2):
        answer = requests.patch(f"{replicas.admin_url}/admin/sessions/{session_id}/extend", timeout=10)
        assert answer.status_code in (200, 204)
        ends.append(_expires_at(replicas, session_id))
    assert 0 <= (ends[1] - ends[0]).total_seconds() < 2
    assert (ends[1] - datetime.now(UTC)).total_seconds() <= LIFESPAN
