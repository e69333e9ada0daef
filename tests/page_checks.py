"""Checks every rendered page can take: parsed with html5lib (a real HTML5 parser, as a
browser parses), each form control carries Kratos's node attributes as separate, valid
attributes. Used by the unit tests (recorded flows) and by the integration FormClient
(every page it loads)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import html5lib
from html5lib.html5parser import ParseError

# Attribute names a form control may carry; anything else is a typo or two glued together
# (`value=""requiredautocomplete="username webauthn"` parses as one unknown attribute).
CONTROL_ATTRIBUTES = frozenset(
    [
        "id",
        "class",
        "title",
        "lang",
        "dir",
        "hidden",
        "tabindex",
        "autofocus",
        "role",
        "style",
        "type",
        "name",
        "value",
        "required",
        "disabled",
        "autocomplete",
        "pattern",
        "maxlength",
        "minlength",
        "min",
        "max",
        "step",
        "readonly",
        "checked",
        "placeholder",
        "inputmode",
        "form",
        "size",
        "list",
        "multiple",
        "accept",
        "autocapitalize",
        "spellcheck",
        "enterkeyhint",
        "formaction",
        "formmethod",
        "formnovalidate",
        "formtarget",
    ]
)
CONTROLS = ("input", "button", "select", "textarea")
# The node attributes that must reach the browser as Kratos sent them.
CHECKED = ("name", "type", "required", "autocomplete", "pattern", "maxlength", "disabled")


def parse(html: str, strict: bool = True):
    """The document, as html5lib builds it; a parse error (a mangled tag or attribute) fails."""
    parser = html5lib.HTMLParser(strict=strict, namespaceHTMLElements=False)
    try:
        return parser.parse(html)
    except ParseError as error:
        raise AssertionError(f"the page is not well-formed HTML: {error}") from None


def controls(doc) -> list[Any]:
    return [el for tag in CONTROLS for el in doc.iter(tag)]


def attribute_problems(doc) -> list[str]:
    """Every attribute of every form control that is not one a browser knows."""
    problems = []
    for el in controls(doc):
        for name in el.attrib:
            if name not in CONTROL_ATTRIBUTES and not name.startswith(("aria-", "data-")):
                problems.append(f"<{el.tag} name={el.get('name')!r}> has unknown attribute {name!r}")
    return problems


def unlabelled(doc) -> list[str]:
    """Inputs a person types in or ticks that no <label> names."""
    labelled = {el.get("for") for el in doc.iter("label")}
    wrapped = {id(inner) for label in doc.iter("label") for inner in label.iter("input")}
    return [
        f"<input name={el.get('name')!r}> has no label"
        for el in doc.iter("input")
        if el.get("type") not in ("hidden", "submit", "button")
        and el.get("id") not in labelled
        and id(el) not in wrapped
    ]


def outside_forms(doc) -> list[str]:
    """Controls no form would send: a field shown outside every form is one the user fills in vain."""
    inside = {id(el) for form in doc.iter("form") for el in form.iter()}
    return [
        f"<{el.tag} name={el.get('name')!r}> is outside every form"
        for el in controls(doc)
        if id(el) not in inside and el.get("form") is None
    ]


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _expected(attrs: dict[str, Any]) -> dict[str, Any]:
    """What the rendered control must say for each CHECKED attribute (None: absent)."""
    kind = attrs.get("type") or "text"
    # HTML gives hidden inputs and buttons no `required`; Kratos marks its CSRF token so.
    applies = kind not in ("hidden", "submit", "button")
    return {
        "name": attrs.get("name"),
        "type": kind,
        "required": True if attrs.get("required") and applies else None,
        "autocomplete": attrs.get("autocomplete") or None,
        "pattern": attrs.get("pattern") or None,
        "maxlength": str(attrs["maxlength"]) if attrs.get("maxlength") else None,
        "disabled": True if attrs.get("disabled") else None,
    }


def _rendered(el) -> dict[str, Any]:
    got: dict[str, Any] = {}
    for name in CHECKED:
        if name in ("required", "disabled"):
            got[name] = True if name in el.attrib else None
        else:
            got[name] = el.get(name)
    if el.tag == "button":
        # A script-triggered Kratos button (type "button") and a submit both render as <button>.
        got["type"] = el.get("type") or "submit"
    elif got["type"] is None:
        got["type"] = "text"
    return got


def _category_of(kind: str) -> str:
    return {"hidden": "hidden", "submit": "button", "button": "button"}.get(kind, "field")


def _category(el) -> str:
    """hidden, button or field: a hidden input and a button may share a name (Kratos's `method`)."""
    kind = el.get("type") or ("submit" if el.tag == "button" else "text")
    return _category_of("button" if el.tag == "button" else kind)


def node_mismatches(doc, nodes: Iterable[dict[str, Any]], refresh: bool = False) -> list[str]:
    """Each Kratos input node against the controls rendered for it: found, and every CHECKED
    attribute as Kratos sent it. `refresh`: the UI fills in and hides a refresh login's identifier."""
    problems = []
    rendered = controls(doc)
    # A page may leave out whole methods on purpose ("Set a new password" after recovery).
    forms = {el.get("id") for el in doc.iter("form")}
    for node in nodes:
        attrs = node.get("attributes") or {}
        if node.get("type") != "input" or not attrs.get("name"):
            continue
        if node.get("group") != "default" and f"group-{node.get('group')}" not in forms:
            continue
        if node.get("group") == "default" and not any((f or "").startswith("group-") for f in forms):
            continue  # nothing to submit (a "Continue" link only): no form carries the shared nodes
        kind = attrs.get("type") or "text"
        same_name = [el for el in rendered if el.get("name") == attrs["name"] and _category(el) == _category_of(kind)]
        if refresh and attrs["name"] == "identifier":
            same_name = [el for el in rendered if el.get("name") == "identifier"]
        if kind in ("submit", "button") or (
            kind == "hidden" and attrs.get("value") not in (None, "") and attrs["name"] != "csrf_token"
        ):
            same_name = [el for el in same_name if (el.get("value") or "") == _value(attrs.get("value") or "")]
        if not same_name:
            problems.append(f"node {attrs['name']!r} ({kind}) is not rendered")
            continue
        want = _expected(attrs)
        for el in same_name:
            got = _rendered(el)
            if refresh and attrs["name"] == "identifier" and got["type"] == "hidden" and el.get("value"):
                continue
            for name in CHECKED:
                if got[name] != want[name]:
                    problems.append(f"{attrs['name']!r}: {name} is {got[name]!r}, Kratos sent {want[name]!r}")
    return problems


def check_page(html: str, nodes: Iterable[dict[str, Any]] | None = None, refresh: bool = False) -> None:
    """Fail unless the page parses and its controls carry Kratos's attributes."""
    doc = parse(html)
    problems = attribute_problems(doc) + unlabelled(doc) + outside_forms(doc)
    if nodes is not None:
        problems += node_mismatches(doc, nodes, refresh)
    assert not problems, "\n".join(problems)
