"""Driving a page with the keyboard alone, checking that focus can always be seen."""

from __future__ import annotations

# The focused element's accessible-ish name (its label, or its text) and whether its focus shows.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {name: (label || el.innerText || el.value || '').trim(), tag: el.tagName.toLowerCase(),
          visible: outline || style.boxShadow !== 'none'};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, name: str, limit: int = 60) -> None:
    """Tab (then, if needed, Shift+Tab) until the element named `name` has focus. Every element
    that Tab lands on must show its focus (outline or box-shadow)."""
    current = focused(page)
    if current and current["name"] == name:  # already there (e.g. focus moved to it by the page)
        return
    for key in ("Tab", "Shift+Tab"):
        for _ in range(limit):
            page.keyboard.press(key)
            current = focused(page)
            assert current is not None, f"{key} left the page's focus on <body> looking for {name!r}"
            assert current["visible"], f"focus is not visible on <{current['tag']}> {current['name']!r}"
            if current["name"] == name:
                return
    raise AssertionError(f"no control named {name!r} reachable with Tab on {page.url}")


def type_into(page, label: str, text: str) -> None:
    tab_to(page, label)
    page.keyboard.type(text)


def press(page, name: str, key: str = "Enter") -> None:
    """Activate a button or link with Enter (or Space)."""
    tab_to(page, name)
    page.keyboard.press(key)
