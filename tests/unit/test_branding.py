"""Branding from settings: name, logo, favicon, accent (/theme.css), support link, TEMPLATES_DIR;
and the header's one-click sign-out."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest

from app import create_app
from app.branding import DARK_BACKGROUNDS, LIGHT_BACKGROUNDS, contrast, theme_css
from app.config import ConfigError, Settings
from unit.conftest import UI

STYLE = Path(__file__).resolve().parents[2] / "static" / "style.css"
NS = {"h": "http://www.w3.org/1999/xhtml"}


def parse(resp):
    return html5lib.parse(resp.get_data(as_text=True), namespaceHTMLElements=False)


def branded_client(settings, **brand):
    app = create_app(replace(settings, **brand))
    app.config["TESTING"] = True
    return app.test_client()


BRAND = dict(
    brand_name="Example Cloud",
    brand_logo_url="https://cdn.example.com/logo.svg",
    brand_favicon_url="/static/favicon.ico",
    brand_accent="#0a7d32",
    support_url="mailto:help@example.com",
)


def test_default_look_is_todays(client):
    resp = client.get("/")
    doc = parse(resp)
    assert doc.find(".//title").text.endswith("· Account")
    assert doc.find(".//header//a[@class='brand']").text.strip() == "Account"
    assert doc.find(".//header//img") is None and doc.find(".//a[@id='support']") is None
    sheets = [urlsplit(link.get("href")) for link in doc.iter("link") if link.get("rel") == "stylesheet"]
    assert [sheet.path for sheet in sheets] == ["/static/style.css"] and re.fullmatch(
        r"v=[0-9a-f]{12}", sheets[0].query
    )
    assert client.get("/theme.css").status_code == 404


def test_brand_settings_reach_every_page(settings):
    client = branded_client(settings, **BRAND)
    for path in ("/", "/nowhere"):
        doc = parse(client.get(path, base_url=UI))
        assert doc.find(".//title").text.endswith("· Example Cloud")
        brand = doc.find(".//header//a[@class='brand']")
        assert "".join(brand.itertext()).strip() == "Example Cloud"
        # The name is right beside it, so the logo is decoration to a screen reader.
        assert brand.find("img").get("src") == BRAND["brand_logo_url"] and brand.find("img").get("alt") == ""
        assert next(link for link in doc.iter("link") if link.get("rel") == "icon").get("href") == "/static/favicon.ico"
        assert doc.find(".//footer//a[@id='support']").get("href") == "mailto:help@example.com"


def test_accent_arrives_as_a_cacheable_stylesheet(settings):
    client = branded_client(settings, **BRAND)
    doc = parse(client.get("/", base_url=UI))
    sheets = [link.get("href") for link in doc.iter("link") if link.get("rel") == "stylesheet"]
    assert urlsplit(sheets[0]).path == "/static/style.css" and re.fullmatch(r"/theme\.css\?v=[0-9a-f]{12}", sheets[1])
    css = client.get(sheets[1], base_url=UI)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--accent:#0a7d32" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"] and "no-store" not in css.headers["Cache-Control"]
    again = client.get(sheets[1], base_url=UI, headers={"If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304


def test_csp_allows_the_logo_origin_only(settings, client):
    csp = branded_client(settings, **BRAND).get("/", base_url=UI).headers["Content-Security-Policy"]
    img_src = next(d for d in csp.split("; ") if d.startswith("img-src"))
    assert img_src == "img-src 'self' data: https://cdn.example.com"
    assert "style-src 'self';" in csp
    default = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in default


@pytest.mark.parametrize("accent", ["#2f5bea", "#ffeb3b", "#fff", "#001f3f", "#000", "#0a7d32", "#e91e63"])
def test_any_accent_keeps_aa_contrast_in_both_schemes(accent):
    light, dark = re.findall(r"--accent:(#[0-9a-f]{6})", theme_css(accent))
    assert all(contrast(light, bg) >= 4.5 for bg in LIGHT_BACKGROUNDS)
    assert all(contrast(dark, bg) >= 4.5 for bg in DARK_BACKGROUNDS)
    # Button text on the accent.
    assert contrast(light, "#ffffff") >= 4.5 and contrast(dark, "#11151c") >= 4.5


def custom_properties(css: str) -> tuple[dict, dict]:
    light_block, dark_block = css.split("@media (prefers-color-scheme:dark)", 1)
    read = lambda block: dict(re.findall(r"(--[\w-]+):([^;]+);", block))  # noqa: E731
    return read(light_block), read(dark_block.split("}", 1)[0])


def test_default_accent_and_backgrounds_match_the_stylesheet():
    """BRAND_ACCENT=#2f5bea gives exactly the built-in look, and app/branding.py judges contrast
    against the stylesheet's real backgrounds."""
    light, dark = custom_properties(STYLE.read_text())
    assert (light["--surface"], light["--bg"]) == LIGHT_BACKGROUNDS
    assert (dark["--surface"], dark["--bg"]) == DARK_BACKGROUNDS
    theme_light, theme_dark = custom_properties(theme_css(light["--accent"]))
    assert theme_light["--accent"] == light["--accent"] and theme_dark["--accent"] == dark["--accent"]
    assert theme_dark["--accent-text"] == dark["--accent-text"]


def test_templates_hard_code_no_colour_or_font():
    for template in (STYLE.parents[1] / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(|font-family|\bstyle=", text), template


@pytest.mark.parametrize(
    "env, message",
    [
        ({"BRAND_ACCENT": "red"}, "BRAND_ACCENT='red' is not a colour"),
        ({"BRAND_ACCENT": "#12345"}, "BRAND_ACCENT='#12345' is not a colour"),
        ({"BRAND_ACCENT": "#fff;}body{display:none"}, "BRAND_ACCENT="),
        ({"BRAND_LOGO_URL": "javascript:alert(1)"}, "BRAND_LOGO_URL='javascript:alert(1)' is not an http/https URL"),
        ({"BRAND_LOGO_URL": "//evil.example/logo.png"}, "BRAND_LOGO_URL="),
        ({"BRAND_LOGO_URL": "https://cdn.example;script-src:*/logo.png"}, "BRAND_LOGO_URL="),  # into the CSP
        ({"BRAND_LOGO_URL": "https://user@cdn.example/logo.png"}, "BRAND_LOGO_URL="),
        ({"BRAND_LOGO_URL": "/\\evil.example/logo.png"}, "BRAND_LOGO_URL="),
        ({"BRAND_FAVICON_URL": "data:image/png;base64,AAAA"}, "BRAND_FAVICON_URL="),
        ({"BRAND_FAVICON_URL": "logo.png"}, "BRAND_FAVICON_URL="),
        ({"SUPPORT_URL": "javascript:alert(1)"}, "SUPPORT_URL="),
        ({"TEMPLATES_DIR": "/no/such/dir"}, "TEMPLATES_DIR='/no/such/dir' is not a directory"),
    ],
)
def test_malformed_brand_settings_are_named(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env()


def test_brand_settings_are_read(monkeypatch, tmp_path):
    for key, value in {
        "BRAND_NAME": "Example",
        "BRAND_ACCENT": "#25E",
        "BRAND_LOGO_URL": "/static/logo.svg",
        "BRAND_FAVICON_URL": "https://cdn.example.com/f.ico",
        "SUPPORT_URL": "https://help.example.com",
        "TEMPLATES_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(key, value)
    s = Settings.from_env()
    assert (s.brand_name, s.brand_accent, s.brand_logo_url, s.brand_favicon_url, s.support_url, s.templates_dir) == (
        "Example",
        "#25e",
        "/static/logo.svg",
        "https://cdn.example.com/f.ico",
        "https://help.example.com",
        str(tmp_path),
    )


def test_templates_dir_overrides_one_template_and_keeps_the_rest(settings, tmp_path):
    (tmp_path / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 id="custom">Welcome to {{ brand.name }}</h1>{% endblock %}'
    )
    client = branded_client(settings, templates_dir=str(tmp_path), brand_name="Example")
    doc = parse(client.get("/", base_url=UI))
    assert doc.find(".//h1[@id='custom']").text == "Welcome to Example"
    assert doc.find(".//header//a[@class='brand']").text.strip() == "Example"  # the built-in base.html
    not_found = parse(client.get("/nowhere", base_url=UI))
    assert "not found" in not_found.find(".//h1").text.lower()


def header(resp):
    return parse(resp).find(".//header")


def test_header_signs_out_with_one_post(signed_in):
    nav = header(signed_in.get("/"))
    form = nav.find(".//form")
    assert form.get("method") == "post" and form.get("action") == "/logout"
    assert [b.text.strip() for b in form.iter("button")] == ["Sign out"]
    assert "Sign in" not in [a.text for a in nav.iter("a")]


def test_header_offers_sign_in_when_signed_out(client):
    nav = header(client.get("/"))
    assert [a.text for a in nav.find(".//nav").iter("a")] == ["Sign in", "Create account"]
    assert nav.find(".//form") is None
