"""Every catalog is complete and what the app reads: each of the UI's strings and each message
Kratos can show is translated, keeps its placeholders, and the compiled .mo matches its .po."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import i18n as catalogs  # scripts/i18n.py
import kratos_messages  # scripts/kratos_messages.py
from support import require

PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.fixture(scope="module")
def template():
    return catalogs.template()


def read(locale: str):
    with open(catalogs.po_path(locale), "rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", catalogs.LOCALES)
def test_the_catalog_lacks_nothing(locale, template):
    assert catalogs.missing(locale, template) == []


def test_the_template_holds_the_ui_strings_and_every_translatable_kratos_message(template):
    data = json.loads(catalogs.KRATOS_MESSAGES.read_text())
    contexts = {m.context for m in template if m.context}
    for m in data["messages"]:
        assert (f"kratos:{m['id']}" in contexts) == m["translate"], m
    ids = {m.id for m in template if not m.context}
    assert {"Sign-in service unavailable", "Welcome", "Sign out", "Language"} <= ids


def test_the_check_script_names_what_is_missing(tmp_path, monkeypatch, template):
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    text = catalogs.po_path("de").read_text()
    # Drop the translation of Kratos's 4000006.
    text = re.sub(r'(msgctxt "kratos:4000006"\nmsgid (?:".*"\n)+)msgstr (?:".*"\n)+', r'\1msgstr ""\n', text)
    po.write_text(text)
    monkeypatch.setattr(catalogs, "TRANSLATIONS", tmp_path)
    assert catalogs.missing("de", template) == [
        "kratos:4000006 | The provided credentials are invalid, check for spelling mistakes in your password "
        "or username, email address, or phone number."
    ]


@pytest.mark.parametrize("locale", catalogs.LOCALES)
def test_translations_keep_the_placeholders(locale):
    for m in read(locale):
        if m.id and m.string:
            # A plural's every form keeps the plural msgid's placeholders.
            msgid = m.id[-1] if isinstance(m.id, tuple) else m.id
            for string in m.string if isinstance(m.string, tuple) else (m.string,):
                assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(msgid)), (m.context, m.id)


@pytest.mark.parametrize("locale", catalogs.LOCALES)
def test_the_compiled_catalog_is_the_current_one(locale):
    compiled = io.BytesIO()
    write_mo(compiled, read(locale), use_fuzzy=False)
    assert catalogs.po_path(locale).with_suffix(".mo").read_bytes() == compiled.getvalue(), (
        "stale .mo: run `make translations`"
    )


def test_the_kratos_message_list_is_what_kratos_source_says(tmp_path, monkeypatch):
    version = kratos_messages.kratos_version()
    try:
        source = kratos_messages.module_dir(version)
    except (OSError, subprocess.CalledProcessError):
        source = None
    require(source is not None and (source / "id.go").is_file(), f"Kratos {version}'s source in the Go module cache")
    out = tmp_path / "kratos_messages.json"
    monkeypatch.setattr(kratos_messages, "OUT", out)
    monkeypatch.setattr(kratos_messages, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["kratos_messages.py", "--source", str(source)])
    (tmp_path / "kratos").mkdir()
    (tmp_path / "kratos" / "go.mod").write_text(f"require github.com/ory/kratos {version}\n")
    assert kratos_messages.main() == 0
    assert json.loads(out.read_text()) == json.loads(catalogs.KRATOS_MESSAGES.read_text())


def test_a_translation_comes_back_when_its_string_does(tmp_path, monkeypatch):
    """A string not (or no longer) in the code keeps its translation as an obsolete entry, which
    `update` restores when the code has the string (again)."""
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(catalogs.po_path("de").read_bytes())
    full = catalogs.template()
    without = catalogs.template()
    del without["Skip for now"]
    monkeypatch.setattr(catalogs, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(catalogs, "POT", tmp_path / "messages.pot")
    monkeypatch.setattr(catalogs, "LOCALES", ("de",))
    monkeypatch.setattr(catalogs, "ROOT", tmp_path)  # where update names the files it wrote
    monkeypatch.setattr(catalogs, "template", lambda: without)
    catalogs.update()  # the code lost the string
    assert '#~ msgid "Skip for now"' in po.read_text()
    monkeypatch.setattr(catalogs, "template", lambda: full)
    catalogs.update()  # and has it again
    restored = {m.id: m.string for m in read_po(po.open("rb"), locale="de")}
    assert restored["Skip for now"] == "Vorerst überspringen"
    assert '#~ msgid "Skip for now"' not in po.read_text()
