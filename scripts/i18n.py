"""The UI's catalogs: extract, update, check and compile.

    .venv/bin/python scripts/i18n.py update    # messages.pot from the code + Kratos's messages; merge into each .po
    .venv/bin/python scripts/i18n.py check     # what each catalog lacks (untranslated, fuzzy, missing); exit 1 if any
    .venv/bin/python scripts/i18n.py compile   # .po -> .mo (what the app reads)

The template is the UI's own strings (pybabel's extraction with babel.cfg over app/ and
templates/) plus one entry per translatable Kratos message, msgctxt "kratos:<id>", from
app/translations/kratos_messages.json (scripts/kratos_messages.py writes it from Kratos's source).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
KRATOS_MESSAGES = TRANSLATIONS / "kratos_messages.json"
# The catalogs to keep complete; English is the source language (the msgids).
LOCALES = ("de", "fr", "es", "pt_BR", "ja")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def ui_strings(catalog: Catalog) -> None:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    for folder in ("app", "templates"):
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)


def kratos_strings(catalog: Catalog) -> None:
    data = json.loads(KRATOS_MESSAGES.read_text(encoding="utf-8"))
    for m in data["messages"]:
        if not m["translate"]:
            continue
        keys = ", ".join(m["context"]) or "none"
        comment = [f"Kratos {data['kratos_version']} {m['name']} ({m['type']}); context keys: {keys}"]
        catalog.add(
            m["text"],
            context=f"kratos:{m['id']}",
            auto_comments=comment,
            flags=["python-format"] if "%(" in m["text"] else [],
        )
        for part, text in (m.get("parts") or {}).items():
            catalog.add(
                text, context=f"kratos:{m['id']}:{part}", auto_comments=[f"part of Kratos {m['id']} ({m['name']})"]
            )


def template() -> Catalog:
    catalog = Catalog(project="kratos-selfservice-ui", charset="utf-8", fuzzy=False)
    ui_strings(catalog)
    kratos_strings(catalog)
    return catalog


def key(message) -> tuple:
    return (message.context, message.id)


def missing(locale: str, expected: Catalog) -> list[str]:
    """What the locale's catalog lacks: each as "msgctxt | msgid" (or just the msgid)."""
    path = po_path(locale)
    if not path.is_file():
        return [f"(no catalog at {path.relative_to(ROOT)})"]
    with open(path, "rb") as f:
        catalog = read_po(f, locale=locale)
    have = {key(m): m for m in catalog if m.id}
    gaps = []
    for m in expected:
        if not m.id:
            continue
        found = have.get(key(m))
        strings = found.string if found is not None else None
        empty = not strings or (isinstance(strings, tuple) and not all(strings))
        if found is None or empty or found.fuzzy:
            msgid = m.id[0] if isinstance(m.id, tuple) else m.id  # a plural: its singular
            label = f"{m.context} | {msgid}" if m.context else msgid
            gaps.append(("fuzzy: " if found is not None and found.fuzzy else "") + label)
    return gaps


def update() -> None:
    pot = template()
    with open(POT, "wb") as f:
        write_po(f, pot, width=100, omit_header=False, sort_output=False)
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="kratos-selfservice-ui", fuzzy=False)
        # Translations of strings the code no longer has stay as obsolete (#~) entries, and come
        # back when the string does (a string reworded back, or wrapped in gettext only later).
        memory = {key(m): m.string for m in [*catalog, *catalog.obsolete.values()] if m.id and m.string}
        catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
        for m in catalog:
            if m.id and not m.string and key(m) in memory:
                m.string = memory[key(m)]
        current = {key(m) for m in catalog if m.id}
        for name, m in list(catalog.obsolete.items()):
            if key(m) in current:
                del catalog.obsolete[name]
        catalog.header_comment = (
            f"# {catalog.locale.english_name} catalog of kratos-selfservice-ui: the UI's strings and\n"
            "# Kratos's messages (msgctxt kratos:<id>). `scripts/i18n.py update` merges new ones in."
        )
        with open(path, "wb") as f:
            # No source locations: a moved line must not change every catalog.
            write_po(f, catalog, width=100, include_previous=False, no_location=True)
        print(f"{path.relative_to(ROOT)}: {len(missing(locale, pot))} to translate")


def check() -> int:
    expected = template()
    total = 0
    for locale in LOCALES:
        gaps = missing(locale, expected)
        total += len(gaps)
        print(f"{locale}: {len(gaps)} missing")
        for gap in gaps:
            print(f"  {gap}")
    return 1 if total else 0


def compile_all() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        mo = path.with_suffix(".mo")
        with open(path, "rb") as f:
            catalog = read_po(f, locale=locale)
        with open(mo, "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "update":
        update()
    elif command == "check":
        return check()
    elif command == "compile":
        compile_all()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
