"""Record the unit tests' Kratos fixtures from a real Kratos.

Starts Kratos (fresh in-memory SQLite) with this repo's config, walks through
the flows the UI handles, and writes each answer to tests/fixtures/<name>.json
as {"status", "body", "set_cookie"}. Cookie values are replaced by a
placeholder; everything else is exactly what Kratos said. Each Kratos version has
its own set (kratos_versions.fixtures_dir): KRATOS_BIN picks the binary.

    python scripts/record_fixtures.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from kratos_versions import binary_version, fixtures_dir
from mailsink import wait_for_code
from stack import ROOT, Ports, Stack, kratos_binary

JSON = {"Accept": "application/json"}
LOGIN_LIFESPAN = 3  # seconds; short so an expired login flow can be recorded
PRIVILEGED_MAX_AGE = 3  # seconds; short so a stale settings change can be recorded
EMAIL = "recorded@example.com"
UNVERIFIED_EMAIL = "unverified@example.com"
PASSWORD = "a-Recorded-passw0rd"
# Set in settings; Kratos v26 refuses a "new" password equal to the old one.
NEW_PASSWORD = "a-Changed-passw0rd"


REQUIRE_VERIFIED = ROOT / "tests" / "kratos" / "require-verified-address.yml"


def redact_cookie(header: str) -> str:
    return re.sub(r"^([^=]+)=[^;]*", r"\1=redacted", header)


class Recorder:
    def __init__(self, stack: Stack, out: Path):
        self.stack, self.out = stack, out
        self.browser = requests.Session()
        self.names: list[str] = []

    def save(self, name: str, resp: requests.Response) -> dict:
        record = {
            "status": resp.status_code,
            "body": resp.json() if resp.content else None,
            "set_cookie": [redact_cookie(c) for c in resp.raw.headers.getlist("Set-Cookie")],
        }
        (self.out / f"{name}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        self.names.append(name)
        return record["body"]

    def get(self, name: str, path: str, **params) -> dict:
        return self.save(
            name, self.browser.get(self.stack.public_url + path, params=params, headers=JSON, allow_redirects=False)
        )

    def post(self, name: str, action: str, form: dict) -> dict:
        return self.save(name, self.browser.post(action, data=form, headers=JSON, allow_redirects=False))


def csrf(flow: dict) -> str:
    return next(n["attributes"]["value"] for n in flow["ui"]["nodes"] if n["attributes"].get("name") == "csrf_token")


def record_code_flow(r: Recorder, kind: str, success_name: str, mails: int) -> int:
    """A flow that mails EMAIL a code: start it, send the code, a wrong code, the right one."""
    flow = r.get(f"{kind}_flow", f"/self-service/{kind}/browser", return_to=r.stack.ui_url + "/")
    r.post(f"{kind}_code_sent", flow["ui"]["action"], {"csrf_token": csrf(flow), "email": EMAIL, "method": "code"})
    code, mails = wait_for_code(r.stack.maildir, EMAIL, seen=mails)
    r.post(f"{kind}_invalid_code", flow["ui"]["action"], {"csrf_token": csrf(flow), "code": "000000", "method": "code"})
    r.post(success_name, flow["ui"]["action"], {"csrf_token": csrf(flow), "code": code, "method": "code"})
    return mails


def concurrent_update(r: Recorder) -> requests.Response:
    """Kratos's answer when two changes of one identity meet in its database (ory/x's
    ErrConcurrentUpdate: a serialization failure, rolled back). Provoked with profile changes sent
    at once on several settings flows: in-memory SQLite lets one through at a time. Kratos v26
    loses the race in about 1 try in 10 here (v1.3.1 in most), fewer on a busy machine: hence the tries."""
    for _ in range(400):
        flows = [
            r.browser.get(r.stack.public_url + "/self-service/settings/browser", headers=JSON).json() for _ in range(8)
        ]
        answers: list[requests.Response] = []

        def change(flow: dict, answers: list[requests.Response] = answers) -> None:
            browser = requests.Session()  # one per thread (a Session is not thread-safe), same cookies
            browser.cookies.update(r.browser.cookies)
            data = {"csrf_token": csrf(flow), "traits.email": EMAIL, "method": "profile"}
            try:
                answers.append(browser.post(flow["ui"]["action"], data=data, headers=JSON, allow_redirects=False))
            except requests.ConnectionError:
                pass  # Kratos dropped this one amid the race: a try that does not count

        threads = [threading.Thread(target=change, args=(flow,)) for flow in flows]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for answer in answers:
            try:
                body = answer.json()
            except ValueError:  # v1.3.1 sometimes writes `null` after the error: two documents
                continue
            if answer.status_code == 400 and "ui" not in body:
                return answer
    sys.exit("record: Kratos answered no concurrent update to 3200 changes sent 8 at once")


def record_all(stack: Stack, out: Path) -> list[str]:
    r = Recorder(stack, out)
    ui = stack.ui_url
    r.get("whoami_unauthorized", "/sessions/whoami")
    r.get("health_ready", "/health/ready")
    reg = r.get("registration_flow", "/self-service/registration/browser", return_to=ui + "/")
    r.post(
        "registration_profile_step",
        reg["ui"]["action"],
        {"csrf_token": csrf(reg), "traits.email": EMAIL, "method": "profile"},
    )
    r.post(
        "registration_invalid_password",
        reg["ui"]["action"],
        {"csrf_token": csrf(reg), "traits.email": EMAIL, "password": "short", "method": "password"},
    )
    r.post(
        "registration_success",
        reg["ui"]["action"],
        {"csrf_token": csrf(reg), "traits.email": EMAIL, "password": PASSWORD, "method": "password"},
    )
    signed_up = time.monotonic()
    me = r.get("whoami", "/sessions/whoami")
    # What the settings cards read: credential types and dates (Kratos empties every config).
    r.save("admin_identity", requests.get(f"{stack.admin_url}/admin/identities/{me['identity']['id']}", headers=JSON))
    r.get("login_session_already_available", "/self-service/login/browser")
    r.get("recovery_session_already_available", "/self-service/recovery/browser")
    settings = r.get("settings_flow", "/self-service/settings/browser")
    r.post(
        "settings_lookup_secret_regenerated",
        settings["ui"]["action"],
        {"csrf_token": csrf(settings), "method": "lookup_secret", "lookup_secret_regenerate": "true"},
    )
    r.post(
        "settings_success",
        settings["ui"]["action"],
        {"csrf_token": csrf(settings), "method": "password", "password": NEW_PASSWORD},
    )
    r.save("settings_concurrent_update", concurrent_update(r))
    r.get("login_refresh_flow", "/self-service/login/browser", refresh="true")

    # Verification by code; the sign-up already mailed one code.
    _, mails = wait_for_code(stack.maildir, EMAIL)
    mails = record_code_flow(r, "verification", "verification_passed", mails)

    time.sleep(max(0.0, PRIVILEGED_MAX_AGE + 0.5 - (time.monotonic() - signed_up)))
    stale = r.get("settings_flow_stale", "/self-service/settings/browser")
    r.post(
        "settings_refresh_required",
        stale["ui"]["action"],
        {"csrf_token": csrf(stale), "method": "password", "password": PASSWORD + "2"},
    )

    # A second device, so there is another session to list and revoke.
    other = requests.Session()
    login = other.get(stack.public_url + "/self-service/login/browser", headers=JSON).json()
    other.post(
        login["ui"]["action"],
        headers={**JSON, "User-Agent": "Recorded/2.0 (second device)"},
        data={"csrf_token": csrf(login), "identifier": EMAIL, "password": NEW_PASSWORD, "method": "password"},
    )
    sessions = r.get("sessions_list", "/sessions")
    r.save("session_revoked", r.browser.delete(f"{stack.public_url}/sessions/{sessions[0]['id']}", headers=JSON))
    r.save("sessions_others_revoked", r.browser.delete(stack.public_url + "/sessions", headers=JSON))
    session = r.browser.get(stack.public_url + "/sessions/whoami", headers=JSON).json()
    r.save("session_extended", requests.patch(f"{stack.admin_url}/admin/sessions/{session['id']}/extend"))
    r.get("whoami_after_extend", "/sessions/whoami")

    logout = r.get("logout_flow", "/self-service/logout/browser")
    r.save("logout_success", r.browser.get(logout["logout_url"], headers=JSON, allow_redirects=False))

    record_code_flow(r, "recovery", "recovery_success", mails)
    r.browser.cookies.clear()

    r.get("login_return_to_forbidden", "/self-service/login/browser", return_to="https://evil.example/")
    login = r.get("login_flow", "/self-service/login/browser", return_to=ui + "/")
    r.get("login_flow_fetched", "/self-service/login/flows", id=login["id"])
    r.post(
        "login_invalid_credentials",
        login["ui"]["action"],
        {"csrf_token": csrf(login), "identifier": EMAIL, "password": "wrong-password", "method": "password"},
    )
    r.post(
        "login_csrf_violation",
        login["ui"]["action"],
        {"csrf_token": "not-the-token", "identifier": EMAIL, "password": NEW_PASSWORD, "method": "password"},
    )
    r.post(
        "login_success",
        login["ui"]["action"],
        {"csrf_token": csrf(login), "identifier": EMAIL, "password": NEW_PASSWORD, "method": "password"},
    )
    r.browser.cookies.clear()

    # An address never verified cannot sign in (the overlay's require_verified_address).
    unverified = requests.Session()
    reg = unverified.get(stack.public_url + "/self-service/registration/browser", headers=JSON).json()
    unverified.post(
        reg["ui"]["action"],
        headers=JSON,
        data={"csrf_token": csrf(reg), "traits.email": UNVERIFIED_EMAIL, "password": PASSWORD, "method": "password"},
    )
    login = r.get("login_flow_for_unverified", "/self-service/login/browser")
    r.post(
        "login_address_not_verified",
        login["ui"]["action"],
        {"csrf_token": csrf(login), "identifier": UNVERIFIED_EMAIL, "password": PASSWORD, "method": "password"},
    )
    r.browser.cookies.clear()

    r.get("flow_not_found", "/self-service/login/flows", id="00000000-0000-0000-0000-000000000000")
    r.post(
        "submit_unknown_flow",
        stack.public_url + "/self-service/login?flow=00000000-0000-0000-0000-000000000000",
        {"csrf_token": "x", "method": "password"},
    )
    expiring = r.get("login_flow_to_expire", "/self-service/login/browser")
    time.sleep(LOGIN_LIFESPAN + 0.5)
    r.post(
        "login_expired_submit",
        expiring["ui"]["action"],
        {"csrf_token": csrf(expiring), "identifier": EMAIL, "password": NEW_PASSWORD, "method": "password"},
    )
    r.get("login_expired_fetch", "/self-service/login/flows", id=expiring["id"])
    r.get("flow_error", "/self-service/errors", id="stub:500")
    return r.names


def record(out: Path) -> list[str]:
    """Start a throwaway Kratos, record every fixture into `out`, stop it."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # The UI is not started: its URL stays the default one, so recorded return URLs are stable.
        ports = Ports.free()
        ports.ui = Ports.ui
        stack = Stack(
            workdir=Path(tmp),
            ports=ports,
            kratos_overlays=(REQUIRE_VERIFIED,),
            kratos_env={
                "HASHERS_BCRYPT_COST": "4",
                "SELFSERVICE_FLOWS_LOGIN_LIFESPAN": f"{LOGIN_LIFESPAN}s",
                "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": f"{PRIVILEGED_MAX_AGE}s",
            },
        )
        stack.start(with_ui=False)
        try:
            return record_all(stack, out)
        finally:
            stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="default: the set of the Kratos that KRATOS_BIN names")
    args = parser.parse_args()
    out = args.out or fixtures_dir(binary_version(kratos_binary()))
    names = record(out)
    print(f"recorded {len(names)} fixtures into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
