"""The one place that decides what a Kratos answer means.

`interpret` turns any Kratos `Answer` into one of a few outcomes; views only
map outcomes to pages and redirects, and never look at status codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .kratos import Answer

# Why a flow had to be replaced (app/flows.py words it for the user).
EXPIRED, CSRF, RESTART = "expired", "csrf", "restart"


@dataclass
class Success:
    """Kratos accepted the request (200/204); `body` is its JSON, if any."""
    body: Any = None


@dataclass
class ShowFlow:
    """A flow to render: a fetched flow, or one returned with validation messages."""
    flow: dict
    invalid: bool = False


@dataclass
class NewFlow:
    """The flow is gone (`reason`); continue with `flow_id` if Kratos named one, else start over."""
    reason: str
    flow_id: str | None = None


@dataclass
class Redirect:
    """Send the browser to a URL Kratos chose (422, refresh, aal2, expired GET)."""
    url: str
    reason: str = ""


@dataclass
class SignInRequired:
    """No valid session (401)."""


@dataclass
class AlreadySignedIn:
    """A login or registration was started while a session exists."""


@dataclass
class Failure:
    """Nothing the user can fix here: shown as an error page with this HTTP status."""
    status: int
    title: str
    message: str
    error_id: str | None = None


UNAVAILABLE = Failure(503, "Sign-in service unavailable",
                      "We could not reach the sign-in service. Please try again in a moment.")
BAD_GATEWAY = Failure(502, "Sign-in service error",
                      "The sign-in service had a problem answering. Please try again in a moment.")
RETURN_TO_FORBIDDEN = Failure(400, "That return address is not allowed",
                              "The page you were sent from asked to return you to an address this site does not trust.")


def kratos_failed(outcome: Any) -> bool:
    """Kratos itself broke (5xx), as opposed to refusing this request."""
    return isinstance(outcome, Failure) and outcome.status >= 500


def success_body(outcome: Any) -> dict | None:
    """The JSON object a Success carries, else None."""
    return outcome.body if isinstance(outcome, Success) and isinstance(outcome.body, dict) else None


def has_errors(flow: dict) -> bool:
    ui = flow.get("ui") or {}
    messages = list(ui.get("messages") or [])
    for node in ui.get("nodes") or []:
        messages.extend(node.get("messages") or [])
    return any(m.get("type") == "error" for m in messages)


def interpret(answer: Answer) -> Any:
    status, body, error_id = answer.status, answer.body, answer.error_id
    if status >= 500:
        return BAD_GATEWAY
    if status in (200, 201, 204):
        if isinstance(body, dict) and "ui" in body:
            return ShowFlow(body)
        return Success(body)
    if status == 400:
        if isinstance(body, dict) and "ui" in body:
            # Also the next step of a multi-step flow (e.g. two-step registration).
            return ShowFlow(body, invalid=has_errors(body))
        if error_id == "session_already_available":
            return AlreadySignedIn()
        if error_id == "self_service_flow_return_to_forbidden":
            return RETURN_TO_FORBIDDEN
        # A submit to an unknown or malformed flow id answers 400 with no id.
        return NewFlow(RESTART)
    if status == 401:
        return SignInRequired()
    if status == 403:
        redirect = isinstance(body, dict) and body.get("redirect_browser_to")
        if error_id in ("session_refresh_required", "session_aal2_required") and redirect:
            return Redirect(redirect, reason=error_id)
        if error_id == "security_csrf_violation":
            return NewFlow(CSRF)
        if error_id == "session_verified_address_required" and (target := _verification_url(answer.error)):
            # Kratos v26 refusing an unverified address (v1.3.1: 400, message 4000010, see
            # flows.start_verification): it has started a verification flow and mailed a code.
            return Redirect(target, reason=error_id)
        return NewFlow(RESTART)
    if status == 404:
        return NewFlow(RESTART)
    if status == 410:
        if isinstance(body, dict) and body.get("use_flow_id"):
            return NewFlow(EXPIRED, flow_id=body["use_flow_id"])
        redirect_to = (answer.error.get("details") or {}).get("redirect_to")
        if redirect_to:
            return Redirect(redirect_to, reason="self_service_flow_expired")
        return NewFlow(EXPIRED)
    if status == 422:
        redirect = isinstance(body, dict) and body.get("redirect_browser_to")
        if redirect:
            return Redirect(redirect, reason=error_id or "browser_location_change_required")
    return Failure(status if 400 <= status < 500 else 502, "Something went wrong",
                   "We could not complete that request. Please start again.", error_id)


def _verification_url(error: dict) -> str | None:
    """The verification flow Kratos names in an error's `details.continue_with`."""
    for item in (error.get("details") or {}).get("continue_with") or []:
        if isinstance(item, dict) and item.get("action") == "show_verification_ui":
            return (item.get("flow") or {}).get("url")
    return None
