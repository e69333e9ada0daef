"""Write app/translations/kratos_messages.json: every message Kratos can show, read from its Go source.

Reads text/id.go (the numeric ids) and text/message_*.go (one constructor per message: its id,
English text and context keys) of the Kratos version in kratos/go.mod, from the Go module cache
(`go mod download` in kratos/ puts it there). Each message becomes a gettext entry with msgctxt
"kratos:<id>" and, as msgid, Kratos's English text with %(key)s placeholders filled from the
message's `context` (app/i18n.py fills them). Messages whose text *is* data (a schema validation
reason, a secret, a schema title) are listed with "translate": false and shown as Kratos sent them.

    .venv/bin/python scripts/kratos_messages.py [--source DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "app" / "translations" / "kratos_messages.json"

# Go expressions in fmt.Sprintf arguments that are not a context value as such: the placeholder
# app/i18n.py computes for them (from the context keys named in DERIVED there).
DERIVED_ARGS = {
    "Since(expiredAt).Minutes()": "expired_minutes",
    "hasLeft.Minutes()": "minutes_left",
    'strings.Join(allowedTypes, " or ")': "allowed_types",
}

# Kratos builds this one from parts (message_validation.go, NewErrorValidationDuplicateCredentialsWithHints);
# the UI composes it the same way from these entries (app/i18n.py, duplicate_with_hints).
DUPLICATE_WITH_HINTS = {
    "": "You tried signing in with %(identifier)s which is already in use by another account.",
    "identifier": "an email, phone, or username",
    "methods": "You can sign in using %(methods)s.",
    "providers": "You can sign in using one of the following social sign in providers: %(providers)s.",
    "password": "your password",
    "oidc": "social sign in",
    "webauthn": "your passkey or a security key",
    "passkey": "your passkey",
}


def module_dir(version: str) -> Path:
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(cache) / "github.com" / "ory" / f"kratos@{version}" / "text"


def kratos_version() -> str:
    match = re.search(r"^require github.com/ory/kratos (\S+)$", (ROOT / "kratos" / "go.mod").read_text(), re.M)
    assert match, "kratos/go.mod names no Kratos version"
    return match.group(1)


def read_ids(source: Path) -> dict[str, int]:
    """Constant name -> number, from the iota blocks of id.go."""
    ids: dict[str, int] = {}
    for block in re.findall(r"const \((.*?)\n\)", (source / "id.go").read_text(), re.S):
        value = None
        for line in block.splitlines():
            line = line.split("//")[0].strip()
            if not line:
                continue
            start = re.fullmatch(r"(\w+)\s+ID\s*=\s*(\d+)\s*\+\s*iota", line)
            if start:
                name, value = start.group(1), int(start.group(2))
            elif re.fullmatch(r"\w+", line) and value is not None:
                name, value = line, value + 1
            else:
                continue
            ids[name] = value
    return ids


def split_args(text: str) -> list[str]:
    """Top-level comma-separated Go expressions."""
    parts, depth, current, quoted = [], 0, "", False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if not quoted:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(current.strip())
                current = ""
                continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def field(body: str, name: str) -> str | None:
    """The Go expression after `Name:` in a composite literal, up to its top-level comma."""
    match = re.search(rf"^\s*{name}:\s*", body, re.M)
    if not match:
        return None
    rest = body[match.end() :]
    return split_args(rest)[0]


def go_string(literal: str) -> str:
    value: str = json.loads(literal)
    return value


def template(text_expr: str, context: dict[str, str]) -> str | None:
    """Kratos's Text expression as a %(key)s template, or None when the text is data."""
    text_expr = re.sub(r'"\s*\+\s*"', "", text_expr.replace("\n", " "))  # "a " + "b" literals
    if text_expr.startswith('"'):
        return go_string(text_expr).replace("%", "%%")
    call = re.fullmatch(r"fmt\.Sprintf\((.*)\)", text_expr.strip(), re.S)
    if not call:
        return None  # a variable: the text is data (reason, secret, title, joined secrets)
    fmt, *args = split_args(call.group(1))
    by_var: dict[str, str] = {}
    for key, var in context.items():
        # Kratos sends some keys twice (camelCase and snake_case): name the snake_case one.
        if var not in by_var or "_" in key:
            by_var[var] = key
    names = [DERIVED_ARGS.get(arg) or by_var[arg] for arg in args]
    position = 0

    def verb(match: re.Match[str]) -> str:
        nonlocal position
        index, kind = match.group(1), match.group(2)
        if index:
            name = names[int(index) - 1]
        else:
            name = names[position]
            position += 1
        return f'"%({name})s"' if kind.endswith("q") else f"%({name})s"

    return re.sub(r"%(?:\[(\d)\])?([-+# 0]*\d*(?:\.\d+)?[sdvqf])", verb, go_string(fmt).replace("%%", "\0")).replace(
        "\0", "%%"
    )


def read_messages(source: Path, ids: dict[str, int]) -> list[dict]:
    messages = []
    for path in sorted(source.glob("message_*.go")):
        if path.name.endswith("_test.go"):
            continue
        code = path.read_text()
        for func, body in re.findall(r"^func (New\w+)\(.*?\) \*Message \{(.*?)^\}", code, re.S | re.M):
            literal = body[body.index("&Message{") :]
            name = field(literal, "ID")
            assert name in ids, (func, name)
            context_expr = field(literal, "Context") or ""
            context = dict(re.findall(r'"(\w+)":\s*([^,\n]+),', context_expr))
            text_expr = field(literal, "Text") or ""
            entry = {
                "id": ids[name],
                "name": name,
                "constructor": func,
                "file": path.name,
                "type": field(literal, "Type"),
                "context": sorted(context),
            }
            if func == "NewErrorValidationDuplicateCredentialsWithHints":
                entry.update(
                    translate=True,
                    text=DUPLICATE_WITH_HINTS[""],
                    parts={k: v for k, v in DUPLICATE_WITH_HINTS.items() if k},
                )
            else:
                text = template(text_expr, context)
                entry.update(translate=text is not None, text=text)
            messages.append(entry)
    return sorted(messages, key=lambda m: m["id"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help="Kratos's text/ directory (default: the Go module cache)")
    args = parser.parse_args()
    version = kratos_version()
    source = args.source or module_dir(version)
    if not (source / "id.go").is_file():
        print(f"no Kratos source at {source}: run `go mod download` in kratos/", file=sys.stderr)
        return 1
    ids = read_ids(source)
    messages = read_messages(source, ids)
    seen: dict[int, dict] = {}
    for m in messages:  # one id, one text: Kratos reuses an id only for the same words
        if m["id"] in seen:
            assert seen[m["id"]]["text"] == m["text"], (m, seen[m["id"]])
        seen[m["id"]] = m
    OUT.write_text(
        json.dumps({"kratos_version": version, "messages": list(seen.values())}, indent=1, ensure_ascii=False) + "\n"
    )
    print(f"{len(seen)} Kratos {version} messages -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
