"""Template globals and filters for rendering Kratos UI nodes."""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable, MutableMapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from flask import Flask, g, url_for
from flask.templating import Environment
from jinja2 import Template, Undefined, pass_eval_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup, escape

from . import current
from .auth import identity_label, rule
from .i18n import translate_message
from .outcomes import any_error
from .redirects import refused
from .security import csp_nonce, trusted_script

# What getattr finds on a dict: its methods. Any other name is a key.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_ABSENT = object()


class _Globals(ChainMap[str, Any]):
    def keys(self) -> set[str]:  # type: ignore[override]
        # A set, not a view: each `{% import %}` subtracts a template's global names from the
        # page's, which through ChainMap's view was ~50 µs a page.
        return set().union(*self.maps)

    def __getitem__(self, key: str) -> Any:
        # Each render copies the globals into a dict; ChainMap's own raised and caught a KeyError
        # in the template's (empty) map for every one of them.
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)


class _AbsentByName(dict[str, Undefined]):
    """The environment's undefined for each attribute name, made on first use."""

    def __init__(self, environment: Environment):
        super().__init__()
        self.environment = environment

    def __missing__(self, name: str) -> Undefined:
        found = self[name] = self.environment.undefined(name=name)
        return found


class PageContext(Context):
    """Jinja's context, with a shorter way through `call` for what templates call most: plain
    functions, the UI's `_` and macros (~90 calls a settings page). Jinja's own probes the callable
    and its `__call__` for a pass-arg mark each time; these have no `__call__` of their own."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if type(__obj) not in _PLAIN_CALLABLES:
            return super().call(__obj, *args, **kwargs)
        pass_arg = getattr(__obj, "jinja_pass_arg", None)
        if pass_arg is _EVAL_CONTEXT:
            args = (__self.eval_ctx, *args)
        elif pass_arg is not None:  # the context (it must see the loop's and block's names) or environment
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's own
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


_PLAIN_CALLABLES = frozenset((FunctionType, MethodType, BuiltinFunctionType, Macro))
# Jinja's mark for a pass_eval_context function, read off one rather than from its private enum.
_EVAL_CONTEXT = pass_eval_context(lambda: None).jinja_pass_arg  # type: ignore[attr-defined]


def output_escape(value: Any) -> str:
    """What a compiled template writes for `{{ value }}`: markupsafe's escape, without making a Markup
    of every piece. A written piece is only ever joined into the page (a macro's or a block's output
    is made Markup whole, by Jinja, after the join), so a str that needs no escaping is written as it
    is: ~180 pieces a settings page, each two calls into markupsafe's Python before."""
    if type(value) is str:
        # What markupsafe's escape replaces: five searches at memchr's speed, cheaper than its
        # Python wrapper and a new Markup for the many values without any.
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return escape(value)
        return value
    if type(value) is Markup:
        return value
    return escape(value)


class PageTemplate(Template):
    @classmethod
    def from_code(cls, environment: Any, code: Any, globals: Any, uptodate: Any = None) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        # Jinja's generated code calls `escape(` only where it writes a value out; the name is
        # looked up in the template module's namespace, shared by its root, blocks and macros.
        template.root_render_func.__globals__["escape"] = output_escape
        return template


class PageEnvironment(Environment):
    """Flask's Jinja environment, made cheaper where every page pays, with the same answers.

    `node.attributes` is looked up as a key at once. Jinja tries getattr first and the key after,
    so each such lookup on a dict raised and caught an AttributeError: ~450 a settings page. A
    dict's getattr only ever finds what `_DICT_ATTRIBUTES` names."""

    context_class = PageContext
    template_class = PageTemplate

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._absent_by_name = _AbsentByName(self)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _Globals({} if d is None else d, self.globals)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            found = obj.get(attribute, _ABSENT)  # most optional attributes are absent: no KeyError
            if found is not _ABSENT:
                return found
            # One undefined per attribute name, made once: a new one for each absent attribute
            # (~100 a settings page) was 3% of the page. Misused, it names the attribute, not the
            # dict. The names are the templates' literals: a few dozen.
            return self._absent_by_name[attribute]
        # Jinja's own lookup, in line (through super() it was ~0.25 M instructions a settings page):
        # the attribute, else the item, else undefined. Each is tried once.
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


def node_value(value: Any) -> str:
    """Kratos node values are JSON; render booleans and numbers as JSON does."""
    if value is None or isinstance(value, Undefined):
        return ""
    return value if isinstance(value, str) else json.dumps(value)


# Destructive buttons: pressed only after a second, confirming button (no JavaScript needed).
DESTRUCTIVE = frozenset(("totp_unlink", "lookup_secret_disable", "webauthn_remove", "passkey_remove"))


def field_id(node: dict[str, Any], form: str | None = None) -> str:
    """The id of a node's control; `form` (its section's group) keeps ids unique when shared
    nodes (the identifier, the CSRF token) are repeated in several forms."""
    a = node.get("attributes") or {}
    name = str(a.get("name") or "").replace(".", "-")
    button = "-" + node_value(a.get("value")) if a.get("type") in ("submit", "button") else ""
    return f"f-{form + '-' if form else ''}{name}{button}"


def node_has_error(node: dict[str, Any]) -> bool:
    return any_error(node.get("messages") or ())


def label_text(node: dict[str, Any]) -> str:
    """A node's label in the page's language, else its field name."""
    label = (node.get("meta") or {}).get("label")
    return (translate_message(label) if label else "") or str((node.get("attributes") or {}).get("name") or "")


def html_attrs(attributes: dict[str, Any]) -> Markup:
    """` name="value"` for each attribute, the value escaped; True is a bare boolean attribute and
    None, False, "" and undefined are left out (so no attribute is ever glued to another). The
    names are the templates' own literals, never data."""
    parts = []
    for name, value in attributes.items():
        if type(value) is str:  # most values: checked first, and most need no escaping
            if value:
                parts.append(f' {name}="{output_escape(value)}"')
        elif value is True:
            parts.append(f" {name}")
        elif not (value is None or value is False or isinstance(value, Undefined) or value == ""):
            parts.append(f' {name}="{escape(node_value(value))}"')
    return Markup("".join(parts))


def page_url(endpoint: str, **values: Any) -> str:
    """url_for, remembered per app and mount point for the links every page repeats (the header's,
    the stylesheet's): ~10 a page, each a routing build. Links with other values, relative
    endpoints and renders outside a request are built each time."""
    this = current.request_or_none()
    if values.keys() - {"filename"} or endpoint.startswith(".") or this is None:
        return url_for(endpoint, **values)
    remembered: dict[tuple[str, str, str | None], str] = current.app().extensions.setdefault("page_urls", {})
    key = (this.script_root, endpoint, values.get("filename"))
    found = remembered.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if len(remembered) < 256:
            remembered[key] = found
    return found


def carry_in_header(**values: str) -> None:
    """Keep query values on the header's "Sign in" and "Create account" links: an app's
    login_challenge, so switching between them does not drop the app's sign-in."""
    g.header_carry = values


def issued_link(url: Any) -> str | None:
    """A link from Kratos data (an `a` node), through the redirect rule; a bad one is dropped."""
    checked = rule().from_ory(url if isinstance(url, str) else None)
    if url and checked is None:
        refused("Kratos link")
    return checked


def image_source(url: Any) -> str | None:
    """An image from Kratos data (the TOTP QR code), through the same rule."""
    checked = rule().image_source(url if isinstance(url, str) else None)
    if url and checked is None:
        refused("Kratos image")
    return checked


def register(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        node_value=node_value, attrs=html_attrs, issued_link=issued_link, image_source=image_source
    )
    app.jinja_env.globals.update(
        url_for=page_url,
        csp_nonce=csp_nonce,
        trusted_script=trusted_script,
        identity_label=identity_label,
        field_id=field_id,
        node_has_error=node_has_error,
        label_text=label_text,
        DESTRUCTIVE=DESTRUCTIVE,
    )

    @app.context_processor
    def signed_in() -> dict[str, Any]:
        here = current.g()
        return {
            "identity_session": here.get("identity_session"),
            "session_redirect": here.get("session_redirect"),
            "header_carry": here.get("header_carry") or {},
        }
