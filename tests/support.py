"""Helpers shared by the test suites."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kratos_versions import fixtures_dir
from stack import kratos_version

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
# Fast password hashing; needs Kratos's --dev, which the stack always passes.
FAST_KRATOS = {"HASHERS_BCRYPT_COST": "4"}
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
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)
