"""The sessions page names devices, methods and times as a person says them."""

from datetime import UTC, datetime

from app.sessions import ago, device_name, signed_in_with
from page_checks import parse

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def test_devices_are_named_from_the_user_agent():
    assert device_name(CHROME_LINUX) == "Chrome on Linux"
    assert (
        device_name(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
        )
        == "Mobile Safari on iOS"
    )
    assert device_name("Laptop-Browser/1.0") == "Laptop-Browser/1.0"  # unknown: as it came
    assert device_name(None) == "Unknown device"


def test_methods_not_assurance_levels():
    both = {"authentication_methods": [{"method": "password", "aal": "aal1"}, {"method": "totp", "aal": "aal2"}]}
    assert signed_in_with(both) == "Password + authenticator app"
    assert signed_in_with({"authentication_methods": [{"method": "code"}]}) == "Email code"


def test_times_are_relative():
    assert ago("2026-12-01T11:57:00Z", NOW) == "3 minutes ago"
    assert ago("2026-12-01T10:59:59.123456Z", NOW) == "1 hour ago"
    assert ago("2026-11-29T12:00:00Z", NOW) == "2 days ago"
    assert ago("2026-12-01T11:59:30Z", NOW) == "just now"


def test_the_page_shows_the_exact_time_in_a_time_element(signed_in, kratos):
    others = kratos.answer("GET", "/sessions", "sessions_list")["body"]
    doc = parse(signed_in.get("/sessions").get_data(as_text=True))
    times = list(doc.iter("time"))
    assert times and all(t.get("datetime") and t.get("title", "").endswith("UTC") for t in times)
    assert others[0]["issued_at"] in [t.get("datetime") for t in times]
    assert "aal1" not in "".join(doc.find(".//table").itertext())
