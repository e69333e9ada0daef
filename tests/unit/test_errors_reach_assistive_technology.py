"""After a failed submit the page says so first: "Error:" in the title, a focused summary
linking to each invalid field, and each field's error tied to its input."""

from urllib.parse import urlsplit

from page_checks import parse
from support import recorded


def page(client, kratos, flow: str, fixture: str):
    body = recorded(fixture)["body"]
    kratos.answer("GET", f"/self-service/{flow}/flows", fixture, status=200)
    return parse(client.get(f"/{flow}?flow={body['id']}").get_data(as_text=True)), body


def by_id(doc, element_id):
    return next(el for el in doc.iter() if el.get("id") == element_id)


def test_a_field_error_is_summarised_linked_and_tied_to_its_input(client, kratos):
    doc, body = page(client, kratos, "registration", "registration_invalid_password")
    node = next(n for n in body["ui"]["nodes"] if n["attributes"].get("name") == "password")
    message = node["messages"][0]["text"]
    assert doc.find(".//title").text.startswith("Error: ")
    summary = by_id(doc, "error-summary")
    assert summary.get("tabindex") == "-1" and "autofocus" in summary.attrib
    link = next(a for a in summary.iter("a") if message in "".join(a.itertext()))
    field = by_id(doc, link.get("href").lstrip("#"))
    assert field.tag == "input" and field.get("name") == "password" and field.get("aria-invalid") == "true"
    described = [by_id(doc, ref) for ref in field.get("aria-describedby").split()]
    assert any(message in "".join(el.itertext()) for el in described)


def test_a_flow_error_is_summarised_and_points_at_the_form_it_came_from(client, kratos):
    body = kratos.answer("POST", "/self-service/login", "login_invalid_credentials")["body"]
    resp = client.post(
        f"/login?flow={body['id']}&section=password",
        data={"csrf_token": "t", "identifier": "recorded@example.com", "password": "wrong", "method": "password"},
    )
    assert resp.status_code == 400
    doc = parse(resp.get_data(as_text=True))
    assert doc.find(".//title").text.startswith("Error: ")
    text = body["ui"]["messages"][0]["text"]
    link = next(a for a in by_id(doc, "error-summary").iter("a") if text in "".join(a.itertext()))
    field = by_id(doc, link.get("href").lstrip("#"))
    assert field.get("name") == "identifier"
    form = next(f for f in doc.iter("form") if field in list(f.iter()))
    assert form.get("id") == "group-password"


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client, kratos):
    doc, _ = page(client, kratos, "login", "login_flow")
    assert not doc.find(".//title").text.startswith("Error")
    assert not [el for el in doc.iter() if el.get("id") == "error-summary"]
    assert not [el for el in doc.iter("input") if el.get("aria-invalid")]


def test_password_rules_are_stated_before_the_first_failure(client, kratos):
    doc, _ = page(client, kratos, "registration", "registration_profile_step")
    field = next(el for el in doc.iter("input") if el.get("name") == "password")
    rules = [by_id(doc, ref) for ref in field.get("aria-describedby").split()]
    text = " ".join("".join(el.itertext()) for el in rules)
    assert "At least 8 characters" in text and "data breaches" in text
    assert "/static/password-toggle.js" in [urlsplit(s.get("src") or "").path for s in doc.iter("script")]


def test_sign_in_states_no_rules_for_the_current_password(client, kratos):
    doc, _ = page(client, kratos, "login", "login_flow")
    field = next(el for el in doc.iter("input") if el.get("name") == "password")
    assert field.get("aria-describedby") is None
