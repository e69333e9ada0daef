"""The one redirect rule, judged by where a URL came from.

- `from_browser`: a `return_to` the browser sent (query or form). It may lead only to this
  UI (UI_URL), ALLOWED_RETURN_URLS, or Hydra's public URL. Kratos's own origin is refused: the
  UI builds Kratos's self-service URLs itself, and a user-supplied one can carry a nested
  `return_to` that Kratos v1.3.1 mishandles (`http:\\\\evil.com`).
- `from_ory`: a URL Kratos or Hydra issued in a JSON answer (`redirect_browser_to`,
  `continue_with`, Hydra's `redirect_to`, node links). Those servers already checked it
  against their own allow-lists, and an OIDC provider or an OAuth2 client is legitimately
  off-site, so it is followed unless it is not an absolute http(s):// URL or it holds a
  backslash or a control character.

URLs are parsed with a WHATWG URL parser (ada), the way a browser will read them, and the
parsed form is what the UI emits, so what was checked is what the browser follows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from ada_url import URL

from .config import Settings

log = logging.getLogger(__name__)

# Backslashes turn into slashes in http(s) URLs; control characters (tab, newline, DEL) are
# silently dropped by browsers. Either changes what a URL means between check and use.
_UNSAFE = re.compile(r"[\\\x00-\x20\x7f]")
# "http:evil.com" or "http:/evil.com": a scheme without "//" is read differently by different parsers.
_SCHEME_WITHOUT_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!//)")
_ABSOLUTE_HTTP = re.compile(r"https?://", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+")


def _parse(url: str, base: str | None = None) -> URL | None:
    try:
        return URL(url, base=base) if base else URL(url)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Prefix:
    origin: str
    path: str  # "" or "/some/prefix" without a trailing slash

    @classmethod
    def of(cls, url: str) -> _Prefix:
        parsed = _parse(url)
        assert parsed is not None, url  # config.py accepted only http(s) URLs
        return cls(parsed.origin, parsed.pathname.rstrip("/"))

    def holds(self, url: URL) -> bool:
        return url.origin == self.origin and (
            not self.path or url.pathname == self.path or url.pathname.startswith(self.path + "/")
        )


class RedirectRule:
    """The rule for one set of settings; built once per app (see app.create_app)."""

    def __init__(self, settings: Settings):
        self.ui = _Prefix.of(settings.ui_url)
        self.kratos = _Prefix.of(settings.kratos_browser_url)
        self.hydra = _Prefix.of(settings.hydra_public_url) if settings.hydra_public_url else None
        self.allowed = tuple(_Prefix.of(u) for u in settings.allowed_return_urls)
        self._browser_targets = tuple(p for p in (self.ui, self.hydra, *self.allowed) if p is not None)

    def from_browser(self, url: str | None) -> str | None:
        """The absolute URL to send the user to, or None when `url` may not be followed."""
        if not url or _UNSAFE.search(url) or _SCHEME_WITHOUT_AUTHORITY.match(url):
            return None
        parsed = _parse(url, base=self.ui.origin + "/")
        if parsed is None or parsed.protocol not in ("http:", "https:") or parsed.username or parsed.password:
            return None
        if self.kratos.holds(parsed):
            return None  # Kratos's own URLs are built by the UI, never taken from the browser
        if not any(prefix.holds(parsed) for prefix in self._browser_targets):
            return None
        return parsed.href

    def from_ory(self, url: str | None) -> str | None:
        """`url` as parsed, if Kratos or Hydra may send the browser there."""
        # "https:evil.com" is a host to a browser but an opaque path to Go: Kratos v1.3.1 can
        # issue it from a return_to that its allow-list check misread, so only "http(s)://" passes.
        if not url or _UNSAFE.search(url) or not _ABSOLUTE_HTTP.match(url):
            return None
        parsed = _parse(url)
        if parsed is None or parsed.protocol not in ("http:", "https:"):
            return None
        return parsed.href

    def image_source(self, url: str | None) -> str | None:
        """An <img src> from Kratos: an inline PNG/JPEG/GIF/WebP (the TOTP QR code), or from_ory."""
        if url and _DATA_IMAGE.fullmatch(url):
            return url
        return self.from_ory(url)

    def within_form_action(self, url: str) -> bool:
        """Whether the page CSP's fixed form-action list covers `url` (see form_action_sources)."""
        parsed = _parse(url)
        return parsed is not None and parsed.origin in self.form_action_origins()

    def form_action_origins(self) -> list[str]:
        """Where a form on any page may post or be redirected to: this UI, Kratos (flows restart
        there), Hydra (OAuth2 sign-in continues there) and ALLOWED_RETURN_URLS."""
        origins = [self.ui.origin, self.kratos.origin, *(p.origin for p in self.allowed)]
        if self.hydra:
            origins.append(self.hydra.origin)
        return sorted(set(origins))


def origin_of(url: str | None) -> str | None:
    """The http(s) origin of a Kratos- or Hydra-issued URL, for a page's extra form-action sources."""
    parsed = _parse(url) if url and not _UNSAFE.search(url) else None
    return parsed.origin if parsed is not None and parsed.protocol in ("http:", "https:") else None


def origins_of(urls: Any) -> list[str | None]:
    """origin_of for each string in a list from Kratos or Hydra (a client's redirect_uris, say)."""
    return [origin_of(u) for u in urls or [] if isinstance(u, str)]


def refused(source: str) -> None:
    """Log a refused URL without repeating it (it may carry tokens)."""
    log.warning("refused a %s URL that breaks the redirect rule", source)
