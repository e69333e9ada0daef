"""Every recorded flow, rendered as its page and parsed with html5lib: each input keeps the
attributes Kratos gave its node (required, autocomplete, type, name, pattern, maxlength,
disabled) as separate, valid attributes that password managers and browsers can read."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

import support
from page_checks import check_page, controls, parse
from support import FIXTURES, recorded


def is_page_state(body) -> bool:
    """A flow the UI shows (not one whose continue_with sends the browser on)."""
    return isinstance(body, dict) and "nodes" in (body.get("ui") or {}) and not body.get("continue_with")


def page_state_in_every_version(name: str) -> bool:
    """Kratos v26 answers some of these (an unverified address at sign-in) with no flow at all."""
    found = []
    for version in support.recorded_versions():
        support.ANSWERS_FROM = version
        try:
            found.append(is_page_state(recorded(name)["body"]))
        except FileNotFoundError:
            found.append(False)
    support.ANSWERS_FROM = support.recorded_versions()[0]
    return all(found)


FLOW_FIXTURES = sorted(path.stem for path in Path(FIXTURES).glob("*.json") if page_state_in_every_version(path.stem))


def flow_kind(body: dict) -> str:
    return urlsplit(body["request_url"]).path.split("/")[2]


def render(client, kratos, fixture: str) -> str:
    body = recorded(fixture)["body"]
    kind = flow_kind(body)
    kratos.answer("GET", f"/self-service/{kind}/flows", fixture, status=200)
    resp = client.get(f"/{kind}?flow={body['id']}")
    assert resp.status_code == 200, (fixture, resp.status_code)
    return resp.get_data(as_text=True)


def test_every_recorded_flow_state_is_covered():
    kinds = {flow_kind(recorded(name)["body"]) for name in FLOW_FIXTURES}
    assert kinds == {"login", "registration", "settings", "recovery", "verification"}


@pytest.mark.parametrize("fixture", FLOW_FIXTURES)
def test_rendered_controls_carry_the_node_attributes(signed_in, kratos, fixture):
    body = recorded(fixture)["body"]
    check_page(render(signed_in, kratos, fixture), body["ui"]["nodes"], refresh=bool(body.get("refresh")))


def test_sign_in_identifier_keeps_required_and_passkey_autofill(client, kratos):
    doc = parse(render(client, kratos, "login_flow"))
    identifiers = [el for el in controls(doc) if el.get("name") == "identifier"]
    assert identifiers and all("required" in el.attrib for el in identifiers)
    assert all(el.get("autocomplete") == "username webauthn" for el in identifiers)
    password = next(el for el in controls(doc) if el.get("name") == "password")
    assert password.get("autocomplete") == "current-password" and "required" in password.attrib
