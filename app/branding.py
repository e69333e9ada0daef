"""Branding from settings: product name, logo, favicon, support link, the accent colour (served as
/theme.css, since the CSP allows no inline style) and templates overridden from TEMPLATES_DIR."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.wrappers import Response as BaseResponse

from .assets import FOR_GOOD
from .config import Settings
from .i18n import gettext

bp = Blueprint("branding", __name__)

# The backgrounds accent text and links sit on, in each scheme (static/style.css: --bg, --surface).
# Kept equal to the stylesheet's by tests/unit/test_branding.py.
LIGHT_BACKGROUNDS = ("#ffffff", "#f4f6fa")
DARK_BACKGROUNDS = ("#1a202b", "#11151c")
TEXT_ON_DARK_ACCENT = "#11151c"
AA = 4.5  # WCAG 2.1 AA contrast for normal text


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def luminance(colour: str) -> float:
    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(accent: str, backgrounds: tuple[str, ...], towards: str) -> str:
    """The accent, mixed step by step towards black or white until it reads on every background."""
    start, end = _rgb(accent), _rgb(towards)
    for step in range(21):
        t = step / 20
        r, g, b = (s + (e - s) * t for s, e in zip(start, end, strict=True))
        colour = _hex((r, g, b))
        if all(contrast(colour, bg) >= AA for bg in backgrounds):
            return colour
    return towards


def theme_css(accent: str) -> str:
    """Custom properties for one accent: links and buttons stay at AA contrast in both schemes."""
    light = readable(accent, LIGHT_BACKGROUNDS, "#000000")
    dark = readable(accent, DARK_BACKGROUNDS, "#ffffff")
    return (
        f":root{{--accent:{light};--accent-text:#ffffff;}}\n"
        f"@media (prefers-color-scheme:dark){{:root{{--accent:{dark};--accent-text:{TEXT_ON_DARK_ACCENT};}}}}\n"
    )


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str | None
    favicon_url: str | None
    support_url: str | None
    theme_url: str | None  # /theme.css?v=<hash>, when an accent is set


@bp.route("/theme.css")
def theme() -> BaseResponse:
    css = current_app.extensions["theme_css"]
    if css is None:  # no BRAND_ACCENT: style.css's own colours
        abort(404)
    response = Response(css, mimetype="text/css")
    # The URL carries the content's hash, so it may be kept for good.
    response.headers["Cache-Control"] = FOR_GOOD
    response.set_etag(hashlib.sha256(css.encode()).hexdigest()[:16])
    return response.make_conditional(request)


def image_origins(settings: Settings) -> list[str]:
    """Origins the CSP's img-src must allow for the logo and favicon (none for same-origin paths)."""
    origins = []
    for url in (settings.brand_logo_url, settings.brand_favicon_url):
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def init_app(app: Flask, settings: Settings) -> None:
    if settings.templates_dir:
        builtin = app.jinja_loader
        assert builtin is not None
        app.jinja_loader = ChoiceLoader([FileSystemLoader(settings.templates_dir), builtin])
    app.register_blueprint(bp)
    css = theme_css(settings.brand_accent) if settings.brand_accent else None
    app.extensions["theme_css"] = css
    version = hashlib.sha256(css.encode()).hexdigest()[:12] if css else None

    @app.context_processor
    def brand() -> dict[str, Any]:
        theme_url = url_for("branding.theme", v=version) if version else None
        # The default name is this UI's own word, so it is translated; a product name is not.
        name = gettext("Account") if settings.brand_name == "Account" else settings.brand_name
        return {
            "brand": Brand(name, settings.brand_logo_url, settings.brand_favicon_url, settings.support_url, theme_url)
        }
