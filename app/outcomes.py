"""The one place that decides what a Kratos answer means.

`interpret` turns any Kratos `Answer` into an `Outcome`, a union of frozen dataclasses;
views `match` on it and never look at Kratos's status codes or error ids themselves
(`flow_error` reads the body of Kratos's error page for them; health checks ask only
"ready or not"). Page text
lives with the views and templates (app/errors.py names each `Problem`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeGuard

from .kratos import Answer


def any_error(messages: Iterable[dict[str, Any]]) -> bool:
    """Whether any of Kratos's messages (a flow's, a section's or a node's) is an error."""
    return any(m.get("type") == "error" for m in messages)


class Flow:
    """A Kratos flow's JSON with the lookups the views need, tolerant of missing parts."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def ui(self) -> dict[str, Any]:
        ui = self.data.get("ui")
        return ui if isinstance(ui, dict) else {}

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return [n for n in self.ui.get("nodes") or [] if isinstance(n, dict)]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [m for m in self.ui.get("messages") or [] if isinstance(m, dict)]

    def inputs(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(node, attributes) for every input node."""
        for node in self.nodes:
            attrs = node.get("attributes")
            if node.get("type") == "input" and isinstance(attrs, dict):
                yield node, attrs

    def value_of(self, name: str) -> Any:
        return next((attrs.get("value") for _, attrs in self.inputs() if attrs.get("name") == name), None)

    def has_message(self, message_id: int) -> bool:
        return any(m.get("id") == message_id for m in self.messages)

    def all_messages(self) -> list[dict[str, Any]]:
        """The flow's messages and every node's."""
        found = list(self.messages)
        for node in self.nodes:
            found.extend(m for m in node.get("messages") or [] if isinstance(m, dict))
        return found

    def has_errors(self) -> bool:
        return any_error(self.all_messages())


class Reason(StrEnum):
    """Why a flow had to be replaced."""

    EXPIRED = "expired"
    CSRF = "csrf"
    RESTART = "restart"


class Problem(StrEnum):
    """What went wrong when nothing on the page can fix it; app/errors.py words each."""

    UNAVAILABLE = "unavailable"  # Kratos could not be reached
    BAD_GATEWAY = "bad_gateway"  # Kratos broke (5xx)
    RETURN_TO_FORBIDDEN = "return_to_forbidden"
    FAILED = "failed"  # any other refusal


@dataclass(frozen=True)
class Success:
    """Kratos accepted the request (200/204); `body` is its JSON, if any."""

    body: Any = None

    @property
    def object(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


@dataclass(frozen=True)
class ShowFlow:
    """A flow to render: a fetched flow, or one returned with validation messages."""

    flow: Flow
    invalid: bool = False


@dataclass(frozen=True)
class NewFlow:
    """The flow is gone (`reason`); continue with `flow_id` if Kratos named one, else start over."""

    reason: Reason
    flow_id: str | None = None


@dataclass(frozen=True)
class Redirect:
    """Send the browser to a URL Kratos chose (422, refresh, aal2, expired GET)."""

    url: str


@dataclass(frozen=True)
class SignInRequired:
    """No valid session (401)."""


@dataclass(frozen=True)
class AlreadySignedIn:
    """A login or registration was started while a session exists."""


@dataclass(frozen=True)
class Failure:
    """Nothing the user can fix here: an error page with this HTTP status."""

    status: int
    problem: Problem = Problem.FAILED
    error_id: str | None = field(default=None)

    @property
    def kratos_broke(self) -> bool:
        """Kratos itself failed (5xx or unreachable), as opposed to refusing this request."""
        return self.status >= 500


Outcome = Success | ShowFlow | NewFlow | Redirect | SignInRequired | AlreadySignedIn | Failure

UNAVAILABLE = Failure(503, Problem.UNAVAILABLE)
BAD_GATEWAY = Failure(502, Problem.BAD_GATEWAY)


def kratos_failed(outcome: Outcome) -> TypeGuard[Failure]:
    return isinstance(outcome, Failure) and outcome.kratos_broke


def success_body(outcome: Outcome) -> dict[str, Any] | None:
    """The JSON object a Success carries, else None."""
    return outcome.body if isinstance(outcome, Success) and isinstance(outcome.body, dict) else None


def flow_error(outcome: Outcome) -> tuple[int, str | None] | None:
    """(HTTP status, Kratos error id) of the flow error that /self-service/errors described,
    or None when it has none (expired or unknown)."""
    body = success_body(outcome) or {}
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    code, error_id = error.get("code"), error.get("id")
    return (
        code if isinstance(code, int) and 400 <= code <= 599 else 404,
        error_id if isinstance(error_id, str) else None,
    )


def _redirect_browser_to(body: Any) -> str | None:
    url = body.get("redirect_browser_to") if isinstance(body, dict) else None
    return url if isinstance(url, str) and url else None


# ory/x's sqlcon.ErrConcurrentUpdate: Kratos's database refused a change because another request
# changed the same data at that moment (PostgreSQL's serialization failure, SQLite's lock).
CONCURRENT_UPDATE = "Unable to serialize access due to a concurrent update in another session"


def nothing_stored(answer: Answer) -> bool:
    """Whether Kratos refused a submission for a concurrent update: its transaction was rolled
    back, so the same form may be sent once more."""
    return answer.status == 400 and answer.error.get("message") == CONCURRENT_UPDATE


def interpret(answer: Answer) -> Outcome:
    status, body, error_id = answer.status, answer.body, answer.error_id
    has_flow = isinstance(body, dict) and "ui" in body
    if status >= 500:
        return BAD_GATEWAY
    if status in (200, 201, 204):
        return ShowFlow(Flow(body)) if has_flow else Success(body)
    if status == 400:
        if has_flow:
            # Also the next step of a multi-step flow (e.g. two-step registration).
            flow = Flow(body)
            return ShowFlow(flow, invalid=flow.has_errors())
        if error_id == "session_already_available":
            return AlreadySignedIn()
        if error_id == "self_service_flow_return_to_forbidden":
            return Failure(400, Problem.RETURN_TO_FORBIDDEN)
        # A submit to an unknown or malformed flow id answers 400 with no id.
        return NewFlow(Reason.RESTART)
    if status == 401:
        return SignInRequired()
    if status == 403:
        redirect = _redirect_browser_to(body)
        if error_id in ("session_refresh_required", "session_aal2_required") and redirect:
            return Redirect(redirect)
        if error_id == "security_csrf_violation":
            return NewFlow(Reason.CSRF)
        if error_id == "session_verified_address_required" and (target := _verification_url(answer.error)):
            # Kratos v26 refusing an unverified address (v1.3.1: 400, message 4000010, see
            # flows.login.after_submit): it has started a verification flow and mailed a code.
            return Redirect(target)
        return NewFlow(Reason.RESTART)
    if status == 404:
        return NewFlow(Reason.RESTART)
    if status == 410:
        use_flow_id = body.get("use_flow_id") if isinstance(body, dict) else None
        if isinstance(use_flow_id, str) and use_flow_id:
            return NewFlow(Reason.EXPIRED, flow_id=use_flow_id)
        redirect_to = (answer.error.get("details") or {}).get("redirect_to")
        if isinstance(redirect_to, str) and redirect_to:
            return Redirect(redirect_to)
        return NewFlow(Reason.EXPIRED)
    if status == 422 and (redirect := _redirect_browser_to(body)):
        return Redirect(redirect)
    return Failure(status if 400 <= status < 500 else 502, Problem.FAILED, error_id)


def _verification_url(error: dict[str, Any]) -> str | None:
    """The verification flow Kratos names in an error's `details.continue_with`."""
    for item in (error.get("details") or {}).get("continue_with") or []:
        if isinstance(item, dict) and item.get("action") == "show_verification_ui":
            url = (item.get("flow") or {}).get("url")
            return url if isinstance(url, str) else None
    return None
