"""Settings read from the environment (and `.env`), checked once at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def _url(name: str, default: str | None) -> str:
    value = os.environ.get(name, default or "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL")
    return value.rstrip("/")


def _optional_url(name: str) -> str | None:
    return _url(name, None) if os.environ.get(name, "").strip() else None


def _secret(name: str, required: bool) -> str | None:
    """A secret of at least 32 characters (None when unset and not required)."""
    value = os.environ.get(name, "").strip()
    if not value and not required:
        return None
    if len(value) < 32:
        raise ConfigError(
            f"{name} must be set to at least 32 random characters"
            if not value
            else f"{name} is shorter than 32 characters"
        )
    return value


def _seconds(name: str, default: str) -> float:
    value = os.environ.get(name, default).strip()
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ConfigError(f"{name}={value!r} must be greater than 0")
    return seconds


# Only what a stylesheet can hold without escaping: nothing else reaches CSS.
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# A same-origin path: one leading slash, nothing that a browser reads as another host or scheme.
_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")
# host[:port] only: an image's origin is written into the CSP header, so nothing else may ride along.
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def _colour(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and not _COLOUR.fullmatch(value):
        raise ConfigError(f"{name}={value!r} is not a colour such as #2f5bea or #25e")
    return value.lower() or None


def _link(name: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """An absolute URL with one of `schemes`, or a path on this UI; empty means unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    absolute = parts.scheme in schemes and (parts.scheme == "mailto" or _HOST.fullmatch(parts.netloc) is not None)
    if not (absolute or _PATH.fullmatch(value)) or any(c in value for c in "\\\x00\r\n\t "):
        raise ConfigError(f"{name}={value!r} is not an {'/'.join(schemes)} URL or a path such as /static/logo.svg")
    return value


def _directory(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and not Path(value).is_dir():
        raise ConfigError(f"{name}={value!r} is not a directory")
    return value or None


_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_duration(name: str, value: str) -> float | None:
    """'90s', '10m', '1h' (or a plain number of seconds); empty means unset."""
    value = value.strip()
    if not value:
        return None
    number, unit = (value[:-1], value[-1]) if value[-1] in _UNITS else (value, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a duration such as 90s, 10m or 1h") from None
    if seconds <= 0:
        raise ConfigError(f"{name}={value!r} must be greater than 0")
    return seconds


_SIZES = {"": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2}


def parse_size(name: str, value: str) -> int:
    """'65536', '64KB', '1MB' (binary units) as a number of bytes."""
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", value.strip().lower())
    if not match or match.group(2) not in _SIZES or int(match.group(1)) == 0:
        raise ConfigError(f"{name}={value!r} is not a size such as 65536, 64KB or 1MB")
    return int(match.group(1)) * _SIZES[match.group(2)]


# Rate limits on form submissions (app/limits.py): setting -> default, in the `limits`
# notation ("10 per 10 minutes", "60/hour", or several joined by ";").
RATE_LIMITS = {
    "RATE_LIMIT_SIGN_IN": "10 per 10 minutes",
    "RATE_LIMIT_SIGN_IN_IP": "60 per 10 minutes",
    "RATE_LIMIT_REGISTRATION": "10 per 10 minutes",
    "RATE_LIMIT_REGISTRATION_IP": "60 per 10 minutes",
    "RATE_LIMIT_EMAIL": "5 per 10 minutes",
    "RATE_LIMIT_EMAIL_IP": "30 per 10 minutes",
    "RATE_LIMIT_CODE": "10 per 10 minutes",
    "RATE_LIMIT_CODE_IP": "60 per 10 minutes",
}
# Stores that `limits` offers with moving windows (memcached has none).
RATE_LIMIT_STORES = (
    "memory",
    "redis",
    "rediss",
    "redis+unix",
    "redis+cluster",
    "redis+sentinel",
    "valkey",
    "valkeys",
    "valkey+unix",
    "valkey+cluster",
    "valkey+sentinel",
    "mongodb",
    "mongodb+srv",
)


def parse_rate_limit(name: str, value: str) -> str:
    import limits

    try:
        items = limits.parse_many(value)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise ConfigError(f"{name}={value!r} is not a rate limit such as '10 per 10 minutes'")
    return value


def _storage_uri(name: str, value: str) -> str:
    scheme = value.partition("://")[0].lower()
    if "://" not in value or scheme not in RATE_LIMIT_STORES:
        # The URI itself may hold a password: name its scheme only.
        raise ConfigError(
            f"{name} has the unsupported scheme {scheme!r}; use one of "
            + ", ".join(f"{s}://" for s in RATE_LIMIT_STORES)
        )
    return value


def _count(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise ConfigError(f"{name}={value!r} is not a whole number")
    return int(value)


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case."""
    value = os.environ.get(name, default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class Settings:
    kratos_public_url: str
    kratos_browser_url: str
    kratos_admin_url: str
    # Absolute URL prefixes; empty means "only this UI's own origin".
    allowed_return_urls: tuple[str, ...]
    kratos_timeout: float
    session_cookie_name: str
    # Extend sessions that expire within this many seconds (None: never).
    extend_session_within: float | None = None
    # Reverse proxies in front of the UI whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    # This UI's public URL: its own origin comes from here, never from the Host header.
    ui_url: str = "http://127.0.0.1:4455"
    # Hydra, when this UI is also its login and consent app (both unset: no OAuth2).
    hydra_public_url: str | None = None
    hydra_admin_url: str | None = None
    # Log lines as "text" or "json" (one object per line), from this level up.
    log_format: str = "text"
    log_level: str = "INFO"
    # Larger request bodies get a 413 page and never reach Kratos.
    max_content_length: int = 64 * 1024
    # (setting, limit) pairs over RATE_LIMITS; where the counts are kept.
    rate_limits: tuple[tuple[str, str], ...] = tuple(RATE_LIMITS.items())
    # Not in repr: a redis:// URI may hold a password.
    rate_limit_storage_uri: str = field(default="memory://", repr=False)
    # Branding: today's look when unset. The accent is #rgb/#rrggbb only (it is written into /theme.css).
    brand_name: str = "Account"
    brand_logo_url: str | None = None
    brand_favicon_url: str | None = None
    brand_accent: str | None = None
    support_url: str | None = None
    # Templates here are found before the built-in ones (override without forking).
    templates_dir: str | None = None
    # OAuth2 clients whose consent is granted without asking (first-party apps).
    trusted_client_ids: tuple[str, ...] = ()
    # Signs the UI's own form tokens (the consent and OAuth2 logout forms): the same on every replica.
    secret_key: str | None = None
    # Hydra's oauth2.token_hook sends this in TOKEN_HOOK_HEADER; unset: the hook endpoint is off.
    token_hook_secret: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        public = _url("KRATOS_PUBLIC_URL", "http://127.0.0.1:4433")
        allowed = []
        for item in os.environ.get("ALLOWED_RETURN_URLS", "").split(","):
            item = item.strip()
            if item:
                parts = urlsplit(item)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise ConfigError(f"ALLOWED_RETURN_URLS entry {item!r} is not an http(s) URL")
                allowed.append(item)
        cookie = os.environ.get("KRATOS_SESSION_COOKIE", "ory_kratos_session").strip()
        if not cookie:
            raise ConfigError("KRATOS_SESSION_COOKIE is empty")
        hydra = (_optional_url("HYDRA_PUBLIC_URL"), _optional_url("HYDRA_ADMIN_URL"))
        if None in hydra and hydra != (None, None):
            raise ConfigError("HYDRA_PUBLIC_URL and HYDRA_ADMIN_URL are set together or not at all")
        ui_url = _url("UI_URL", "http://127.0.0.1:4455")
        if urlsplit(ui_url).path or urlsplit(ui_url).query:
            raise ConfigError(f"UI_URL={ui_url!r} must be an origin such as https://accounts.example.com")
        return cls(
            kratos_public_url=public,
            kratos_browser_url=_url("KRATOS_BROWSER_URL", public),
            kratos_admin_url=_url("KRATOS_ADMIN_URL", "http://127.0.0.1:4434"),
            allowed_return_urls=tuple(allowed),
            kratos_timeout=_seconds("KRATOS_TIMEOUT", "5"),
            session_cookie_name=cookie,
            extend_session_within=parse_duration("EXTEND_SESSION_WITHIN", os.environ.get("EXTEND_SESSION_WITHIN", "")),
            trusted_proxies=_count("TRUSTED_PROXIES", os.environ.get("TRUSTED_PROXIES", "0")),
            ui_url=ui_url,
            hydra_public_url=hydra[0],
            hydra_admin_url=hydra[1],
            log_format=_choice("LOG_FORMAT", "text", ("text", "json")),
            log_level=_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
            max_content_length=parse_size("MAX_CONTENT_LENGTH", os.environ.get("MAX_CONTENT_LENGTH", "64KB")),
            rate_limits=tuple(
                (name, parse_rate_limit(name, os.environ.get(name, default))) for name, default in RATE_LIMITS.items()
            ),
            rate_limit_storage_uri=_storage_uri(
                "RATE_LIMIT_STORAGE_URI", os.environ.get("RATE_LIMIT_STORAGE_URI", "memory://").strip()
            ),
            brand_name=os.environ.get("BRAND_NAME", "").strip() or "Account",
            brand_logo_url=_link("BRAND_LOGO_URL"),
            brand_favicon_url=_link("BRAND_FAVICON_URL"),
            brand_accent=_colour("BRAND_ACCENT"),
            support_url=_link("SUPPORT_URL", ("http", "https", "mailto")),
            templates_dir=_directory("TEMPLATES_DIR"),
            trusted_client_ids=tuple(
                item.strip() for item in os.environ.get("TRUSTED_CLIENT_IDS", "").split(",") if item.strip()
            ),
            secret_key=_secret("SECRET_KEY", required=hydra != (None, None)),
            token_hook_secret=_secret("TOKEN_HOOK_SECRET", required=False),
        )
