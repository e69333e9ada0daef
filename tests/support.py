"""Helpers shared by the test suites."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path

import pytest
import requests

from formclient import FormClient
from kratos_versions import fixtures_dir
from stack import kratos_version

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
# Fast password hashing; needs Kratos's --dev, which the stack always passes.
FAST_KRATOS = {"HASHERS_BCRYPT_COST": "4"}
# Seconds of privileged session in the `short_privilege` stack (tests/conftest.py).
PRIVILEGED = 3
# Kratos's message ids, the same on every tested version; Kratos's wording of them is not.
LOGIN_CODE_SENT = 1010014
RECOVERY_CODE_SENT = 1060003
RECOVERY_CODE_INVALID = 4060006  # v26: also for a code past its lifespan
VERIFICATION_CODE_SENT = 1080003


def require(present: bool, what: str) -> None:
    """Skip locally when `what` is missing; in CI that is a failure."""
    if present:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing: in CI this is a failure, not a skip", pytrace=False)
    pytest.skip(f"{what} is missing (`make test` installs it)")


def register_oauth2_client(hydra_admin_url: str, redirect_uri: str, **fields) -> dict:
    """A new OAuth2 client (authorization code + refresh), through Hydra's admin API; its id and secret included."""
    client = {
        "client_name": f"Test app {uuid.uuid4().hex[:8]}",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid offline_access email",
        **fields,
    }
    answer = requests.post(hydra_admin_url + "/admin/clients", json=client, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def recorded_versions() -> list[str]:
    """Kratos versions with recorded answers: kratos/go.mod's (tests/fixtures/), then tests/fixtures/v*/."""
    return [kratos_version(), *sorted(p.name for p in FIXTURES.glob("v*") if p.is_dir())]


# Whose answers `recorded` reads; the unit tests run once per recorded version (tests/unit/conftest.py).
ANSWERS_FROM = kratos_version()


def recorded(name: str) -> dict:
    """A Kratos answer recorded by scripts/record_fixtures.py from Kratos ANSWERS_FROM."""
    path = fixtures_dir(ANSWERS_FROM) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no {name} answer recorded from Kratos {ANSWERS_FROM}: run `make fixtures`")
    return json.loads(path.read_text())


def totp(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code an authenticator app shows for `secret` (base32) at time `at`."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


# -- a person's journeys without JavaScript (the integration suites) ------------

PASSWORD = "a-Good-passw0rd"
INVALID_CREDENTIALS = "The provided credentials are invalid"


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(stack, email: str, password: str = PASSWORD, client: FormClient | None = None):
    client = client or FormClient()
    page = client.get(stack.ui_url + "/registration")
    page = page.submit({"traits.email": email}, button="Sign up")  # step 1: profile
    page = page.submit({"password": password}, button="Sign up")  # step 2: password
    return client, page


def returning_user(stack) -> tuple[FormClient, str]:
    """A browser whose user has an account and has signed out: (client, email)."""
    email = new_email()
    client, _ = sign_up(stack, email)
    sign_out(client, stack)
    return client, email


def sign_in(client: FormClient, stack, email: str, password: str = PASSWORD, path: str = "/login"):
    page = client.get(stack.ui_url + path)
    return page.submit({"identifier": email, "password": password}, button="Sign in")


def sign_out(client: FormClient, stack):
    return client.get(stack.ui_url + "/logout").submit(button="Sign out")


TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) "
    r"request_id=(\S+) client_ip=(\S+) (.*)"
)


def log_lines(path, fmt: str) -> list[dict]:
    """Each line of the UI's log as its fields; fails on a line without them."""
    lines = []
    for raw in path.read_text().splitlines():
        if fmt == "json":
            entry = json.loads(raw)
            assert {"time", "level", "logger", "request_id", "client_ip", "message"} <= entry.keys(), raw
            lines.append(entry)
        else:
            match = TEXT_LINE.fullmatch(raw)
            assert match, f"log line without time, level, logger and request id: {raw!r}"
            level, logger, request_id, client_ip, message = match.groups()
            lines.append(
                {"level": level, "logger": logger, "request_id": request_id, "client_ip": client_ip, "message": message}
            )
    return lines


def wait_for_log(path, *texts: str, timeout: float = 10) -> str:
    """The log once it holds every one of `texts`: the server's workers each write
    an access line after their response, in no set order."""
    deadline = time.monotonic() + timeout
    while not all(text in (log := path.read_text()) for text in texts) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


def kratos_requests(stack, method: str, path: str) -> int:
    """How many `method path` requests Kratos's public API has handled, from its own log
    (query strings are not logged)."""
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(
        1
        for line in log.splitlines()
        if "completed handling request" in line
        and f"host:127.0.0.1:{stack.ports.public} " in line
        and f"method:{method} path:{path} " in line
    )
