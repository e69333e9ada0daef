"""The page's language: its choice (the cookie, else Accept-Language), the switcher, dates for the
locale, and Kratos's messages translated by id.

Catalogs live in app/translations/<locale>/LC_MESSAGES/messages.po (compiled to .mo by
`make translations`). Kratos's messages are entries with msgctxt "kratos:<id>" whose msgid is
Kratos's English text with %(key)s placeholders (app/translations/kratos_messages.json, written by
scripts/kratos_messages.py from Kratos's source); the placeholders are filled from the message's
`context`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations
from flask import Blueprint, Flask, current_app, redirect, request, url_for
from flask_babel import Babel  # type: ignore[import-untyped]
from flask_babel.speaklater import LazyString  # type: ignore[import-untyped]
from jinja2 import Undefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.wrappers import Response

from . import current
from .kratos import is_kratos_id
from .redirects import RedirectRule

bp = Blueprint("i18n", __name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
KRATOS_MESSAGES = TRANSLATIONS / "kratos_messages.json"
# English is the source language: its text is the msgids (and Kratos's own words).
LOCALES = ("en", "de", "fr", "es", "pt_BR", "ja")
DEFAULT_LOCALE = "en"
COOKIE = "ui_locale"
COOKIE_MAX_AGE = 365 * 24 * 3600
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def tag(locale: str) -> str:
    """A Babel locale name as a BCP 47 language tag (pt_BR -> pt-BR), for <html lang> and HTTP."""
    return locale.replace("_", "-")


def _known(value: str | None) -> str | None:
    """`value` (a tag or locale name, any case) as one of LOCALES, or None."""
    if not value:
        return None
    wanted = value.replace("-", "_").lower()
    return next((locale for locale in LOCALES if locale.lower() == wanted), None)


def select_locale() -> str:
    """The cookie the switcher set, else the best match for Accept-Language, else English."""
    chosen = _known(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    # Werkzeug's matching lets "pt" find "pt-BR" and "de-AT" find "de".
    best = request.accept_languages.best_match([tag(locale) for locale in LOCALES])
    return _known(best) or DEFAULT_LOCALE


# -- this request's catalog --------------------------------------------------
# Flask-Babel walks `g` a dozen times per string; a page looks up dozens of strings. The
# locale and catalog are looked up once per request here, and every string of the UI (the
# templates' `_`, the code's gettext and lazy strings) goes through these.


@lru_cache(maxsize=len(LOCALES))
def _catalog(locale: str) -> Any:
    """A language's catalog, read once per process (Flask-Babel parsed the locale anew on each
    request to find its cached one: ~50 µs a page)."""
    return Translations.load(str(TRANSLATIONS), [locale], "messages")


def _request_catalog() -> tuple[str, Any]:
    this = current.request_or_none()
    if this is None:
        return DEFAULT_LOCALE, _catalog(DEFAULT_LOCALE)
    # On the request's environ, not `g`: an app context can outlive one request.
    environ = this.environ
    found: tuple[str, Any] | None = environ.get("ui.catalog")
    if found is None:
        locale = select_locale()
        environ["ui.catalog"] = found = (locale, _catalog(locale))
    return found


def current_locale() -> str:
    return _request_catalog()[0]


def gettext(string: str, **values: Any) -> str:
    text: str = _request_catalog()[1].ugettext(string)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    values.setdefault("num", num)
    text: str = _request_catalog()[1].ungettext(singular, plural, num)
    return text % values


def _pgettext(context: str, string: str, **values: Any) -> str:
    text: str = _request_catalog()[1].upgettext(context, string)
    return text % values if values else text


# Aliased: the extraction must not read the runtime msgctxts of Kratos's messages as the code's.
in_context = _pgettext


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **values: Any) -> str:
    """The templates' `_` and `gettext`: what Jinja's newstyle gettext does (the text is a format
    string even without values; escaped where the page is), without the three calls through the
    template's context that its `_` alias makes for each string. Positional-only: a `{% trans %}`
    block may pass a value of any name."""
    if values or not eval_ctx.autoescape:
        text = gettext(string)
        return (Markup(text) if eval_ctx.autoescape else text) % values
    locale, catalog = _request_catalog()
    found = _TEMPLATE_STRINGS.get((locale, string))
    if found is None:
        found = Markup(catalog.ugettext(string)) % {}
        if len(_TEMPLATE_STRINGS) < 4096:
            _TEMPLATE_STRINGS[(locale, string)] = found
    return found


# The templates' constant strings ("Sign out"), each translated and made Markup once per language:
# ~40 a page. The same for every user; only literals come without values, and it is bounded anyway.
_TEMPLATE_STRINGS: dict[tuple[str, str], Markup] = {}


def _l(string: str, **values: Any) -> LazyString:
    """A string translated when it is shown, in that request's language."""
    return LazyString(gettext, string, **values)


def html_lang() -> str:
    return tag(current_locale())


@lru_cache(maxsize=1)
def languages() -> list[tuple[str, str, str]]:
    """(locale, its language tag, its name in itself) for the switcher."""
    names = [(locale, Locale.parse(locale).get_display_name(locale) or locale) for locale in LOCALES]
    return [(locale, tag(locale), name[:1].upper() + name[1:]) for locale, name in names]


def this_page() -> str:
    """Where the switcher returns to: this path, with only the query values that are Kratos ids
    (?flow=, ?id=), so the page never repeats arbitrary text from its address."""
    kept = [(name, value) for name, value in request.args.items(multi=True) if is_kratos_id(value)]
    return request.path + ("?" + urlencode(kept) if kept else "")


@bp.route("/language", methods=["POST"])
def choose_language() -> Response:
    """The switcher (a plain form, no JavaScript): keep the language in a cookie, back to the page.
    A POST, so no other site's link or image changes anyone's language."""
    locale = _known(request.form.get("lang"))
    back = request.form.get("next") or "/"
    # Only a path of this UI: the switcher never sends anyone elsewhere.
    rule: RedirectRule = current_app.extensions["redirects"]
    target = None
    if back.startswith("/") and not back.startswith("//"):
        target = rule.from_browser(current_app.config["SETTINGS"].ui_url + back)
    response = redirect(target or current_app.config["SETTINGS"].ui_url + url_for("pages.home"), code=303)
    if locale:
        response.set_cookie(
            COOKIE,
            locale,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SETTINGS"].ui_url.startswith("https:"),
        )
    return response


# -- dates -------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(timestamp: Any) -> str:
    """Kratos's RFC 3339 timestamps, to the minute, written the locale's way, in UTC (said so:
    the UI does not know the user's time zone)."""
    moment = _moment(timestamp)
    if moment is None:
        return timestamp if isinstance(timestamp, str) else ""
    moment, locale = moment.astimezone(UTC), current_locale()
    # The locale's medium date and short time, joined the locale's way ("{1}, {0}" in English).
    joined = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    shown = joined.format(
        format_time(moment, "short", tzinfo=UTC, locale=locale), format_date(moment, "medium", locale=locale)
    )
    return f"{shown} UTC"


# -- Kratos's messages -------------------------------------------------------


@lru_cache(maxsize=1)
def kratos_catalog() -> dict[int, dict[str, Any]]:
    """Kratos's messages by id, as scripts/kratos_messages.py read them from Kratos's source."""
    data = json.loads(KRATOS_MESSAGES.read_text(encoding="utf-8"))
    return {int(m["id"]): m for m in data["messages"]}


def _number(value: Any) -> str:
    """A number the locale's way; integral ones without decimals (as Go's %v writes them)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return format_decimal(value, locale=current_locale())
    return format_decimal(int(value), locale=current_locale())


def _minutes(value: float) -> str:
    """Minutes with two decimals, as Kratos writes them (%.2f)."""
    return format_decimal(value, format="#,##0.00", locale=current_locale())


def _since_minutes(timestamp: Any, now: datetime) -> str | None:
    moment = _moment(timestamp)
    return _minutes((now - moment).total_seconds() / 60) if moment else None


def _until_minutes(timestamp: Any, now: datetime) -> str | None:
    moment = _moment(timestamp)
    return _minutes(max(0.0, (moment - now).total_seconds() / 60)) if moment else None


def _placeholders(context: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The %(key)s values for a message: its context, with numbers, dates and lists for the locale,
    and the values Kratos computes in its text (minutes since or until a moment)."""
    values: dict[str, Any] = {}
    for key, value in context.items():
        if key.endswith("_at") and _moment(value):
            values[key] = when(value)
        elif isinstance(value, (int, float)):
            values[key] = _number(value)
        elif isinstance(value, list):
            values[key] = format_list([str(v) for v in value], locale=current_locale())
        else:
            values[key] = "" if value is None else str(value)
    if "allowed_types" in context and isinstance(context["allowed_types"], list):
        values["allowed_types"] = format_list(
            [str(v) for v in context["allowed_types"]], style="or", locale=current_locale()
        )
    if "expired_at" in context:
        values["expired_minutes"] = _since_minutes(context["expired_at"], now)
    if "privileged_session_expires_at" in context:
        values["minutes_left"] = _until_minutes(context["privileged_session_expires_at"], now)
    return {key: value for key, value in values.items() if value is not None}


def _duplicate_with_hints(entry: dict[str, Any], context: Mapping[str, Any]) -> str | None:
    """Kratos's 4000028, composed from its parts as Kratos composes it (message_validation.go)."""
    msgctxt = f"kratos:{entry['id']}"

    def part(name: str, **values: Any) -> str:
        return str(in_context(f"{msgctxt}:{name}", entry["parts"][name], **values))

    identifier = context.get("credential_identifier_hint") or part("identifier")
    sentences = [in_context(msgctxt, entry["text"], identifier=identifier)]
    types = context.get("available_credential_types") or []
    methods = [part(t) for t in types if t in entry["parts"]] or [str(t) for t in types]
    if methods:
        sentences.append(part("methods", methods=format_list(methods, style="or", locale=current_locale())))
    providers = [str(p).title() for p in context.get("available_oidc_providers") or []]
    if providers:
        sentences.append(part("providers", providers=format_list(providers, locale=current_locale())))
    return " ".join(sentences)


# The titles in kratos/identity.schema.json: our own words, which Kratos sends as a node's label
# (1070002, "generated from the schema"), so they are translated like the rest of the UI.
SCHEMA_TITLES = {"Email": _l("Email")}
SCHEMA_TITLE_LABEL = 1070002


def translate_message(message: Any, now: datetime | None = None) -> str:
    """A Kratos message ({id, text, context}) in the page's language.

    Kratos's own English text, unchanged, when the id is unknown, the text is data (a secret,
    a schema's reason or title), the catalog has no translation, or the context lacks a value.
    """
    if not isinstance(message, Mapping):
        return ""
    text = message.get("text")
    text = "" if text is None or isinstance(text, Undefined) else str(text)
    try:
        message_id = int(message.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text
    if message_id == SCHEMA_TITLE_LABEL and text in SCHEMA_TITLES:
        return str(SCHEMA_TITLES[text])
    entry = kratos_catalog().get(message_id)
    if entry is None or not entry["translate"] or current_locale() == DEFAULT_LOCALE:
        return text
    context = message.get("context")
    context = context if isinstance(context, Mapping) else {}
    try:
        if "parts" in entry:
            translated = _duplicate_with_hints(entry, context)
        else:
            msgctxt = f"kratos:{entry['id']}"
            if in_context(msgctxt, entry["text"]) == entry["text"]:
                return text  # not translated: Kratos's words are better than our own English
            values = _placeholders(context, now or datetime.now(UTC))
            if any(name not in values for name in PLACEHOLDER.findall(entry["text"])):
                return text  # a context without the value its words need
            translated = in_context(msgctxt, entry["text"], **values)
    except (KeyError, TypeError, ValueError):
        return text  # a placeholder the context did not fill
    return translated or text


def kratos_text(message: Any) -> str:
    """Template filter: `{{ m | kratos_text }}` for a Kratos message or label."""
    return translate_message(message)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    # Flask-Babel for Jinja's i18n extension ({% trans %}); the strings come from `_catalog`.
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        # Jinja fills in the values itself: given none, _pgettext returns the text as it is, while
        # our ngettext would fill `num` in a second time. Its gettext is replaced just below.
        gettext=gettext,
        ngettext=lambda s, p, n: _request_catalog()[1].ungettext(s, p, n),
        pgettext=_pgettext,
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(when=when, kratos_text=kratos_text)
    app.jinja_env.globals.update(
        html_lang=html_lang, languages=languages, current_locale=current_locale, switcher_next=this_page
    )
