"""A request's calls to Kratos and Hydra end by KRATOS_TIMEOUT after it arrived: when a trusted
proxy says it arrived (X-Request-Start, nginx's t=${msec}), time queued before the app saw it counts."""

from __future__ import annotations

import dataclasses
import logging
import re
import time

import pytest

from app import create_app
from app.deadline import arrived
from app.kratos import KratosClient, KratosUnavailable, OryAdmin, RequestScope
from formclient import Parsed
from unit.conftest import KRATOS, UI
from unit.test_kratos_client import silent_server
from unit.test_request_ids_and_log_lines import fields, log_output

WALL, MONO = 1_764_590_000.0, 5_000.0  # both clocks' "now" for arrived()
UNAVAILABLE = ("error", "We could not reach the sign-in service. Please try again in a moment.")


def arrival(offered: str | None, trusted: bool = True) -> float:
    return arrived(offered, trusted, wall=WALL, monotonic=MONO)


def test_a_trusted_proxys_start_time_moves_arrival_back_by_the_time_since():
    assert arrival(f"t={WALL - 3.25:.3f}") == pytest.approx(MONO - 3.25, abs=0.001)
    assert arrival(f"t={WALL:.0f}") == MONO
    assert arrival(f" t={WALL - 1:.3f} ") == pytest.approx(MONO - 1, abs=0.001)


def test_without_a_trusted_proxy_the_header_is_not_believed():
    assert arrival(f"t={WALL - 3:.3f}", trusted=False) == MONO


def test_a_start_a_little_ahead_of_this_clock_is_now():
    assert arrival(f"t={WALL + 0.5:.3f}") == MONO


@pytest.mark.parametrize(
    "offered",
    [
        f"t={WALL + 5:.3f}",  # in the future: the proxy's clock is off
        f"t={WALL - 61:.3f}",  # older than a minute: clock skew, or a replayed header
        f"t={int(WALL * 1_000_000)}",  # microseconds, another proxy's unit
        "t=0",
        None,
        "",
        "t=",
        f"{WALL - 3:.3f}",  # without t=
        f"t={WALL - 3:.3f}s",
        "t=abc",
        "t=nan",
        "t=inf",
        "t=-3",
        "t=1e9",
        f"t={WALL - 3:.3f}, t={WALL - 4:.3f}",
    ],
)
def test_an_implausible_or_malformed_start_is_ignored(offered):
    assert arrival(offered) == MONO


def test_the_time_left_is_the_limit_or_less_and_none_left_sends_nothing(caplog):
    assert RequestScope().timeout(5, "kratos GET /x") == 5
    assert 0 < RequestScope(deadline=time.monotonic() + 1).timeout(5, "kratos GET /x") <= 1
    with caplog.at_level(logging.WARNING), pytest.raises(KratosUnavailable):
        RequestScope(deadline=time.monotonic() - 0.1).timeout(5, "kratos GET /x")
    assert caplog.messages == ["kratos GET /x not sent: the request's deadline had passed"]


def signed_in_client(settings, **changes):
    client = create_app(dataclasses.replace(settings, **changes)).test_client()
    client.set_cookie("ory_kratos_session", "opaque-session-value", domain="127.0.0.1")
    return client


def test_a_request_that_waited_past_kratos_timeout_gets_the_503_page_and_kratos_is_not_asked(settings, kratos):
    kratos.answer("GET", "/sessions/whoami", "whoami")
    client = signed_in_client(settings, trusted_proxies=1)
    out = log_output()
    waited = f"t={time.time() - settings.kratos_timeout - 1:.3f}"
    resp = client.get("/?flow=secret-query", base_url=UI, headers={"X-Request-Start": waited})
    assert resp.status_code == 503
    page = Parsed.of(resp.get_data(as_text=True))
    assert page.messages == [UNAVAILABLE] and "Sign-in service unavailable" in page.text
    assert len(kratos.calls) == 0
    waited_line, not_sent = [fields(raw, "text") for raw in out.getvalue().splitlines()]
    # How long the proxy says it waited, so a proxy clock that runs behind shows in the log.
    assert (waited_line["level"], waited_line["logger"]) == ("WARNING", "app.deadline")
    assert re.fullmatch(
        r"X-Request-Start says the request waited \d+\.\d s before the app saw it", waited_line["message"]
    )
    assert (not_sent["level"], not_sent["logger"], not_sent["message"]) == (
        "WARNING",
        "app.kratos",
        "kratos GET /sessions/whoami not sent: the request's deadline had passed",
    )
    assert "opaque-session-value" not in out.getvalue() and "secret-query" not in out.getvalue()

    fresh = client.get("/", base_url=UI, headers={"X-Request-Start": f"t={time.time():.3f}"})
    assert fresh.status_code == 200 and "Signed in as" in Parsed.of(fresh.get_data(as_text=True)).text
    assert len(kratos.calls) == 1


def test_a_clients_own_start_time_is_ignored_without_a_trusted_proxy(settings, kratos):
    kratos.answer("GET", "/sessions/whoami", "whoami")
    client = signed_in_client(settings)
    resp = client.get("/", base_url=UI, headers={"X-Request-Start": f"t={time.time() - 30:.3f}"})
    assert resp.status_code == 200 and "Signed in as" in Parsed.of(resp.get_data(as_text=True)).text


@pytest.mark.parametrize("api", ["kratos", "hydra"])
def test_an_admin_call_past_the_deadline_opens_no_connection(caplog, api):
    server = silent_server()
    url, past = f"http://127.0.0.1:{server.getsockname()[1]}", RequestScope("id-1", time.monotonic() - 0.1)
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(KratosUnavailable):
            if api == "kratos":
                KratosClient(KRATOS, url, 5).get_identity("8f1c3a52-6b1e-4b8e-9d53-3f4a0c6d2e71", for_request=past)
            else:
                OryAdmin("hydra", url, 5).call("OAuth2Api", "get_o_auth2_consent_request", "c", for_request=past)
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()
    assert caplog.messages == [
        {
            "kratos": "kratos GET /admin/identities/{} not sent: the request's deadline had passed",
            "hydra": "hydra admin OAuth2Api.get_o_auth2_consent_request not sent: the request's deadline had passed",
        }[api]
    ]
