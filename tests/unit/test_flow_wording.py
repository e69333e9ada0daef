"""Headings say what each page does; a single method gets no section heading."""

from page_checks import parse
from support import recorded


def flow_page(client, kratos, kind, fixture):
    kratos.answer("GET", f"/self-service/{kind}/flows", fixture, status=200)
    return parse(client.get(f"/{kind}?flow={recorded(fixture)['body']['id']}").get_data(as_text=True))


def text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def headings(doc) -> list[str]:
    return [text(el) for el in doc.iter() if el.tag in ("h1", "h2", "legend")]


def test_recovery_and_verification_say_what_they_do(client, kratos):
    assert headings(flow_page(client, kratos, "recovery", "recovery_flow")) == ["Reset your password"]
    assert headings(flow_page(client, kratos, "verification", "verification_flow")) == ["Verify your email"]


def test_registration_steps_have_headings_and_back_is_no_section(client, kratos):
    first = flow_page(client, kratos, "registration", "registration_flow")
    assert headings(first)[0] == "Create an account" and "Step 1 of 2" in text(first.find(".//p"))
    second = flow_page(client, kratos, "registration", "registration_profile_step")
    assert headings(second)[0] == "Choose how you will sign in"
    assert "Back" not in headings(second) and "Profile" not in headings(second)
    assert "Back" in [text(b) for b in second.iter("button")]


def test_a_refresh_sign_in_offers_cancel(signed_in, kratos):
    doc = flow_page(signed_in, kratos, "login", "login_refresh_flow")
    cancel = next(a for a in doc.iter("a") if a.get("id") == "cancel")
    assert text(cancel) == "Cancel" and cancel.get("href")
