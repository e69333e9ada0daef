"""Start-up configuration, redirect validation and security headers."""

import subprocess
import sys

import pytest

from app.config import ConfigError, Settings
from unit.conftest import UI


@pytest.mark.parametrize(
    "env, message",
    [
        ({"KRATOS_PUBLIC_URL": "kratos:4433"}, "KRATOS_PUBLIC_URL='kratos:4433' is not an http(s) URL"),
        ({"KRATOS_TIMEOUT": "soon"}, "KRATOS_TIMEOUT='soon' is not a number of seconds"),
        ({"KRATOS_TIMEOUT": "0"}, "KRATOS_TIMEOUT='0' must be greater than 0"),
        ({"ALLOWED_RETURN_URLS": "http://ok.example, ftp://x"}, "ALLOWED_RETURN_URLS entry 'ftp://x'"),
        ({"EXTEND_SESSION_WITHIN": "ten minutes"}, "EXTEND_SESSION_WITHIN='ten minutes' is not a duration"),
        ({"EXTEND_SESSION_WITHIN": "0m"}, "EXTEND_SESSION_WITHIN='0m' must be greater than 0"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES='-1' is not a whole number"),
    ],
)
def test_malformed_settings_are_named(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env()


@pytest.mark.parametrize("value, seconds", [("90s", 90), ("10m", 600), ("1h", 3600), ("45", 45), ("", None)])
def test_extend_session_within_reads_durations(monkeypatch, value, seconds):
    monkeypatch.setenv("EXTEND_SESSION_WITHIN", value)
    assert Settings.from_env().extend_session_within == seconds


def test_bad_setting_stops_startup_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--port", "1"],
        capture_output=True,
        text=True,
        env={"KRATOS_ADMIN_URL": "nonsense", "PATH": ""},
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "configuration error: KRATOS_ADMIN_URL='nonsense' is not an http(s) URL"


@pytest.mark.parametrize(
    "path", ["/", "/login", "/logout", "/sessions", "/settings", "/error?id=x", "/nowhere", "/health/alive"]
)
def test_security_headers_on_every_page(client, kratos, path):
    kratos.answer("GET", "/self-service/errors", "flow_not_found")
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'nonce-" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert len(resp.headers.getlist(name)) == 1, name


def test_a_pages_own_security_header_is_kept_not_doubled(app, client):
    @app.get("/own-headers")
    def own_headers():
        return "x", {"content-security-policy": "default-src 'none'", "X-FRAME-OPTIONS": "SAMEORIGIN"}

    resp = client.get("/own-headers")
    assert resp.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert resp.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_handlers_or_styles(client):
    html = client.get("/").get_data(as_text=True)
    assert " onclick=" not in html and " style=" not in html and "<style" not in html


def test_cross_site_form_posts_are_refused(client):
    resp = client.post("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403


@pytest.mark.parametrize("headers", [{"Host": "evil.com"}, {"X-Forwarded-Host": "evil.com"}])
def test_another_host_gets_400_before_kratos_is_asked(settings, kratos, headers):
    """Our origin comes from UI_URL; a request for another host is refused, behind a trusted proxy too."""
    import dataclasses

    from app import create_app

    client = create_app(dataclasses.replace(settings, trusted_proxies=1)).test_client()
    client.set_cookie("ory_kratos_session", "x", domain="127.0.0.1")
    resp = client.get("/login?return_to=http://evil.com/x", base_url=UI, headers=headers)
    assert resp.status_code == 400
    assert "evil.com" not in resp.headers.get("Location", "")
    assert len(kratos.calls) == 0


def test_redirects_and_links_are_built_from_ui_url_not_the_request(settings, kratos):
    """Behind a proxy that reaches the UI as http://10.0.0.5:8000, every absolute URL still names UI_URL."""
    import dataclasses

    from app import create_app

    client = create_app(dataclasses.replace(settings, trusted_proxies=1)).test_client()
    resp = client.get("/settings", base_url="http://10.0.0.5:8000", headers={"X-Forwarded-Host": "127.0.0.1:4455"})
    from urllib.parse import parse_qs, urlsplit

    assert resp.status_code == 303
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["return_to"] == [UI + "/settings"]
