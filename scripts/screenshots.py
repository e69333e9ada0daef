"""Screenshots of the sign-in page in the light and the dark colour scheme, for the README.

Starts its own stack (Kratos, mail sink, UI) on free ports, drives Debian's Chromium through
Playwright and writes docs/screenshots/sign-in-{light,dark}.png.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from stack import ROOT, Ports, Stack, StackError

CHROMIUM = "/usr/bin/chromium"
SIZE = {"width": 900, "height": 640}


def shoot(out: Path, browser=None) -> list[Path]:
    """Both screenshots, with `browser` (a Playwright Chromium) or one launched here."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            try:
                return shoot(out, chromium)
            finally:
                chromium.close()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="screenshots-") as workdir:
        stack = Stack(workdir=Path(workdir), ports=Ports.free()).start()
        try:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport=SIZE, color_scheme=scheme, device_scale_factor=1)
                page = context.new_page()
                page.goto(stack.ui_url + "/login")
                page.get_by_role("heading", level=1).wait_for()
                path = out / f"sign-in-{scheme}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
                context.close()
        finally:
            stack.stop()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    try:
        for path in shoot(args.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    except StackError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
