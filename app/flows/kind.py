"""What a flow is made of: its `FlowKind` data and hooks, and the `Page` it renders into."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..limits import Limited
from ..outcomes import Flow, Reason

# What a view answers: a redirect, or a rendered page with its status.
View = Response | tuple[str, int]


@dataclass
class Page:
    """What the flow page shows around Kratos's forms; a FlowKind's `page` hook adjusts it."""

    title: str
    return_to: str | None
    lead: str | None = None
    lead_account: str | None = None
    # "Not you?" / "Can't use your second factor?" beside a sign-out button; no other links then.
    sign_out_offer: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    reauthenticate_url: str | None = None
    # The OAuth2 app this sign-in or sign-up is for (Hydra's client): its name and checked logo URL.
    app_name: str | None = None
    app_lead: str | None = None
    app_logo: str | None = None
    # A "Cancel" link (a refresh sign-in the user did not mean to start).
    cancel_url: str | None = None
    # Only these groups' forms (after recovery: only the new password); None: all.
    only_groups: tuple[str, ...] | None = None
    # Settings cards, by group: what the method is, whether it is on, what to do next.
    cards: dict[str, Card] = field(default_factory=dict)


@dataclass
class Card:
    why: str
    # "On since 1 December 2026", "On", "Not set up", or None where the UI cannot tell.
    state: str | None = None
    on: bool = False
    # The disclosure's summary that reveals an enrolment (the TOTP QR code and secret).
    enrol: str | None = None
    # A suggested next step: (text, href).
    next_step: tuple[str, str] | None = None
    # A download of what the card shows (backup codes): (label, href).
    download: tuple[str, str] | None = None


@dataclass(frozen=True)
class FlowKind:
    name: str
    title: str
    # Query parameters passed on to Kratos's /self-service/<name>/browser.
    init_params: tuple[str, ...]
    # Other flows linked from this page: (endpoint, label); return_to is passed on.
    links: tuple[tuple[str, str], ...] = ()
    requires_session: bool = False
    # Sections are cards with headings (settings), rather than fieldsets of one page's methods.
    cards: bool = False
    # Groups whose form gets no visible shared field: passkey and OIDC sign-in need no identifier.
    without_shared_fields: tuple[str, ...] = ()
    # What the user reads above a form that replaced a dead one, where it differs from the default.
    notices: tuple[tuple[Reason, str], ...] = ()
    # (group, title) in page order.
    groups: tuple[tuple[str, str], ...] = ()
    # How submissions are rate-limited (None: not at all).
    limited: Limited | None = None
    # Hooks, each optional:
    # a signed-in user asking to start this flow gets this response instead (None: start it);
    when_signed_in: Callable[[], Response] | None = None
    # on a GET, starts what `page` will need beside the flow's fetch (see KratosClient.beside);
    beside_fetch: Callable[[], Future[Any] | None] | None = None
    # adjusts the page for this flow's state;
    page: Callable[[Flow, Page], None] | None = None
    # after a submit answered with the flow again, a response that replaces showing it.
    after_submit: Callable[[Flow, MultiDict[str, str]], View | None] | None = None
    # after a submit Kratos accepted (its JSON body), a response that replaces the usual next page.
    after_success: Callable[[Any], View | None] | None = None
    # The submitted flow still as Kratos has it, when its answer was "not found" (None: start over).
    done_despite_not_found: bool = False
