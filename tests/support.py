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
