"""Which Kratos a binary is, and where the fixtures recorded from that version live.

The project is tested against more than one Kratos (`make test` runs the real-Kratos
suites once per version). Each version has its own recorded answers:
tests/fixtures/ for the version in kratos/go.mod, tests/fixtures/<version>/ for others.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from stack import ROOT, kratos_version

FIXTURES = ROOT / "tests" / "fixtures"


def binary_version(binary: Path) -> str:
    """The version a Kratos binary reports (`kratos version`), e.g. "v26.2.0"."""
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"^Version:\s*(\S+)", out, re.M)
    if not match:
        raise RuntimeError(f"{binary} did not report a version")
    return match.group(1)


def fixtures_dir(version: str) -> Path:
    """Where the answers recorded from Kratos `version` are kept."""
    return FIXTURES if version == kratos_version() else FIXTURES / version
