"""Helpers shared by the test suites."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
# Fast password hashing; needs Kratos's --dev, which the stack always passes.
FAST_KRATOS = {"HASHERS_BCRYPT_COST": "4"}


def require(present: bool, what: str) -> None:
    """Skip locally when `what` is missing; in CI that is a failure."""
    if present:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing: in CI this is a failure, not a skip", pytrace=False)
    pytest.skip(f"{what} is missing (`make test` installs it)")


def recorded(name: str) -> dict:
    """A Kratos answer recorded by scripts/record_fixtures.py."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


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


def kratos_requests(stack, method: str, path: str) -> int:
    """How many `method path` requests Kratos's public API has handled, from its own log
    (query strings are not logged)."""
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "completed handling request" in line
               and f"host:127.0.0.1:{stack.ports.public} " in line and f"method:{method} path:{path} " in line)
