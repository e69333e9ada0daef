"""Security headers and redirect validation."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


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


def safe_return_to(url: str | None) -> str | None:
    """`url` if it is a place this UI may send a user back to, else None."""
    if not url:
        return None
    if "\\" in url or any(ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        # Relative: only a plain path on this origin ("//host" is absolute).
        return url if url.startswith("/") and not url.startswith("//") else None
    if parts.scheme not in ("http", "https"):
        return None
    allowed = current_app.config["SETTINGS"].allowed_return_urls
    if _within(url, request.host_url) or any(_within(url, prefix) for prefix in allowed):
        return url
    return None


def safe_redirect_target(url: str | None) -> str | None:
    """Like safe_return_to, and also allows Kratos's own browser endpoints."""
    kratos = current_app.config["SETTINGS"].kratos_browser_url
    if url and urlsplit(url).scheme in ("http", "https") and _within(url, kratos + "/"):
        return url
    return safe_return_to(url)


def redirect_to(url: str | None, fallback: str = "/", code: int = 303) -> Response:
    """Redirect only to validated targets; anything else goes to `fallback`."""
    target = safe_redirect_target(url) or fallback
    if target != url and url:
        current_app.logger.warning("refused redirect to an address outside ALLOWED_RETURN_URLS")
    return redirect(target, code=code)


def content_security_policy(settings) -> str:
    """The CSP for these settings, with `{nonce}` left to fill per response."""
    kratos = _origin(settings.kratos_browser_url)
    # Forms post to this UI, which may redirect on to Kratos or a return URL;
    # Chrome applies form-action to those redirects too.
    form_targets = {"'self'", kratos, *(_origin(u) for u in settings.allowed_return_urls)}
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{{nonce}}' {kratos}",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {kratos}",
        "form-action " + " ".join(sorted(form_targets)),
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config["CSP"].format(nonce=csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        # Flow and session pages hold CSRF tokens and personal data.
        headers["Cache-Control"] = "no-store"
    return response


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
        allowed = origin == _origin(request.host_url)
    else:  # not a browser form: no cookies a page of another site could ride on
        allowed = True
    if allowed:
        return None
    return Response("Forms from other sites are not accepted.", 403,
                    {"Content-Type": "text/plain; charset=utf-8"})


def trusted_script(src: str | None) -> bool:
    """Only Kratos's own scripts get the page's CSP nonce."""
    kratos = current_app.config["SETTINGS"].kratos_browser_url
    return bool(src) and urlsplit(src).scheme in ("http", "https") and _within(src, kratos + "/")
