"""Every recorded Kratos answer maps to the outcome the UI acts on."""

import pytest

from app.errors import PROBLEM_TEXT
from app.kratos import Answer
from app.outcomes import (
    AlreadySignedIn,
    Failure,
    NewFlow,
    Problem,
    Reason,
    Redirect,
    ShowFlow,
    SignInRequired,
    Success,
    interpret,
)
from support import recorded


def outcome_of(name, status=None):
    rec = recorded(name)
    return interpret(Answer(status or rec["status"], rec["body"]))


@pytest.mark.parametrize(
    "name, kind",
    [
        ("login_flow_fetched", ShowFlow),
        ("registration_flow", ShowFlow),
        ("settings_lookup_secret_regenerated", ShowFlow),
        ("login_success", Success),
        ("registration_success", Success),
        ("whoami", Success),
        ("logout_success", Success),
        ("whoami_unauthorized", SignInRequired),
        ("login_session_already_available", AlreadySignedIn),
        ("flow_not_found", NewFlow),
        ("submit_unknown_flow", NewFlow),
        ("login_return_to_forbidden", Failure),
        ("recovery_session_already_available", AlreadySignedIn),
        ("recovery_success", ShowFlow),
        ("settings_success", ShowFlow),
        ("session_revoked", Success),
        ("sessions_others_revoked", Success),
    ],
)
def test_recorded_answers_map_to_outcomes(name, kind):
    assert isinstance(outcome_of(name), kind)


def test_validation_errors_show_the_returned_flow_as_invalid():
    outcome = outcome_of("login_invalid_credentials")
    assert isinstance(outcome, ShowFlow) and outcome.invalid
    assert outcome.flow.messages[0]["id"] == 4000006


def test_expired_submit_continues_with_the_flow_kratos_names():
    outcome = outcome_of("login_expired_submit")
    assert outcome == NewFlow(Reason.EXPIRED, recorded("login_expired_submit")["body"]["use_flow_id"])


def test_expired_fetch_redirects_to_kratos_restart():
    outcome = outcome_of("login_expired_fetch")
    assert isinstance(outcome, Redirect)
    assert outcome.url.endswith("/self-service/login/browser")


def test_csrf_violation_starts_over_with_an_explanation():
    assert outcome_of("login_csrf_violation") == NewFlow(Reason.CSRF)


def test_kratos_server_error_is_a_bad_gateway_without_kratos_text():
    outcome = outcome_of("flow_error", status=500)
    assert isinstance(outcome, Failure) and outcome.status == 502
    assert outcome.problem is Problem.BAD_GATEWAY and outcome.error_id is None


def test_forbidden_return_to_is_explained():
    outcome = outcome_of("login_return_to_forbidden")
    assert outcome.status == 400 and outcome.problem is Problem.RETURN_TO_FORBIDDEN
    assert "return" in PROBLEM_TEXT[outcome.problem][0].lower()


def test_stale_privileged_session_redirects_to_kratos_refresh_login():
    outcome = outcome_of("settings_refresh_required")
    assert isinstance(outcome, Redirect)
    assert "/self-service/login/browser?refresh=true" in outcome.url


def test_next_step_of_two_step_registration_is_not_an_error():
    step = outcome_of("registration_profile_step")
    assert isinstance(step, ShowFlow) and not step.invalid
    assert any(n["attributes"].get("name") == "password" for n in step.flow.nodes)
    assert outcome_of("registration_invalid_password").invalid
