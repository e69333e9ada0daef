"""The one place that decides what a Hydra admin answer about a challenge means.

Hydra v2.3.0 answers a challenge lookup with 200 and the request; a challenge it cannot
decode (forged, truncated) or one past ttl.login_consent_request with 404. Its consent
challenges are stateless: an answered one still gets 200 (and may be accepted again; Hydra
refuses the second verifier and sends the app access_denied). 410 with `redirect_to` is
Hydra's answer for a request it knows was handled (logout), 409 a conflicting answer.
(tests/integration/test_oauth2_apps.py.) Hydra's error bodies never reach the user: views
match on these outcomes and word them in app/oauth2.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .kratos import Answer
from .outcomes import BAD_GATEWAY, Failure, Success


class ChallengeProblem(StrEnum):
    MISSING = "missing"  # no challenge in the URL
    UNKNOWN = "unknown"  # Hydra does not know it (forged, mistyped or expired)
    USED = "used"  # already answered


@dataclass(frozen=True)
class ChallengeRefused:
    """The challenge cannot be answered; `restart_url` starts the app's request afresh, if known."""

    status: int
    problem: ChallengeProblem
    restart_url: str | None = None


HydraOutcome = Success | ChallengeRefused | Failure


def interpret_hydra(answer: Answer) -> HydraOutcome:
    status, body = answer.status, answer.body
    if status >= 500:
        return BAD_GATEWAY
    if status in (200, 201, 204):
        return Success(body)
    if status == 410:
        restart = body.get("redirect_to") if isinstance(body, dict) else None
        return ChallengeRefused(410, ChallengeProblem.USED, restart if isinstance(restart, str) else None)
    if status in (400, 401, 403, 404, 409):
        # Hydra's 409 on accept: another answer for this challenge came first.
        problem = ChallengeProblem.USED if status == 409 else ChallengeProblem.UNKNOWN
        return ChallengeRefused(404 if status != 409 else 409, problem)
    return Failure(502)


def redirect_to(outcome: HydraOutcome) -> str | None:
    """Hydra's `redirect_to` after an accept or reject."""
    body: Any = outcome.body if isinstance(outcome, Success) else None
    url = body.get("redirect_to") if isinstance(body, dict) else None
    return url if isinstance(url, str) and url else None
