"""Security headers, the CSP and the cross-site POST guard."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Response, current_app, g, request
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response as BaseResponse

from . import current
from .branding import image_origins
from .config import Settings
from .i18n import gettext
from .redirects import RedirectRule


def csp_nonce() -> str:
    here = current.g()
    nonce: str | None = here.get("csp_nonce")
    if nonce is None:
        here.csp_nonce = nonce = secrets.token_urlsafe(16)
    return nonce


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _within(url: str, prefix: str) -> bool:
    """Same scheme and host:port, and the path lies under the prefix's path."""
    u, p = urlsplit(url), urlsplit(prefix)
    if (u.scheme, u.netloc.lower()) != (p.scheme, p.netloc.lower()):
        return False
    base = p.path.rstrip("/")
    return u.path == base or u.path.startswith(base + "/") or not base


def content_security_policy(settings: Settings, rule: RedirectRule) -> str:
    """The CSP for these settings, with `{nonce}` and `{form_action}` left to fill per response."""
    kratos = _origin(settings.kratos_browser_url)
    images = "".join(f" {origin}" for origin in image_origins(settings))  # the brand's logo and favicon
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{{nonce}}' {kratos}",
            "style-src 'self'",
            f"img-src 'self' data:{images}{{img_src}}",
            f"connect-src 'self' {kratos}",
            # Chrome applies form-action to every redirect after a form post, so this lists where
            # a post may end up (redirects.RedirectRule.form_action_origins), plus the page's own extras.
            "form-action 'self' " + " ".join(rule.form_action_origins()) + "{form_action}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def allow_form_action(*origins: str | None) -> None:
    """Let this page's forms end up at more origins (e.g. an OAuth2 client's redirect URI)."""
    g.setdefault("form_action_extra", set()).update(o for o in origins if o)


def allow_image(*origins: str | None) -> None:
    """Let this page show images from more origins (e.g. an OAuth2 client's logo)."""
    g.setdefault("img_src_extra", set()).update(o for o in origins if o)


# Sent with every answer unless its view set its own.
_FIXED_HEADERS = (
    ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ("referrer-policy", "Referrer-Policy", "no-referrer"),
    ("x-frame-options", "X-Frame-Options", "DENY"),
    ("cross-origin-opener-policy", "Cross-Origin-Opener-Policy", "same-origin"),
)


def apply_security_headers(response: BaseResponse) -> BaseResponse:
    headers, here = response.headers, current.g()
    # The names read once: werkzeug's setdefault and `in` raise and catch an exception per absent name.
    present = {name.lower() for name in headers.keys()}
    if "content-security-policy" not in present:
        extra = "".join(f" {origin}" for origin in sorted(here.get("form_action_extra", ())))
        images = "".join(f" {origin}" for origin in sorted(here.get("img_src_extra", ())))
        policy = current.app().config["CSP"].format(nonce=csp_nonce(), form_action=extra, img_src=images)
        headers.add("Content-Security-Policy", policy)
    for lowered, name, value in _FIXED_HEADERS:
        if lowered not in present:
            headers.add(name, value)
    if current.request().endpoint not in ("static", "branding.theme"):
        # Flow and session pages hold CSRF tokens and personal data.
        headers["Cache-Control"] = "no-store"
    return response


def reject_untrusted_host() -> Response | None:
    """A request for a host other than UI_URL's (Host, or X-Forwarded-Host from a trusted
    proxy) is answered 400 before anything else runs: no page may be built on that host."""
    if isinstance(request.routing_exception, SecurityError):
        return Response(
            gettext("This site is not served at that address."), 400, {"Content-Type": "text/plain; charset=utf-8"}
        )
    return None


def reject_cross_site_post() -> Response | None:
    """Refuse state-changing requests that did not come from this site's own pages.

    Sign-out and session revocation carry no Kratos CSRF token, so this is their
    protection (beside SameSite cookies); for flows it is defence in depth.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site is not None:
        allowed = fetch_site in ("same-origin", "none")
    elif origin is not None:  # browsers that predate Sec-Fetch-*
        allowed = origin == current_app.config["SETTINGS"].ui_url
    else:  # not a browser form: no cookies a page of another site could ride on
        allowed = True
    if allowed:
        return None
    return Response(
        gettext("Forms from other sites are not accepted."), 403, {"Content-Type": "text/plain; charset=utf-8"}
    )


def trusted_script(src: str | None) -> bool:
    """Only Kratos's own scripts get the page's CSP nonce."""
    kratos = current_app.config["SETTINGS"].kratos_browser_url
    return src is not None and urlsplit(src).scheme in ("http", "https") and _within(src, kratos + "/")
