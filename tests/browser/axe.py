"""axe-core run inside Chromium on the page as it is: every violation fails the test, in the light
and in the dark colour scheme (color-contrast is judged against the colours actually computed)."""

from __future__ import annotations

from pathlib import Path

from support import require

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0/2.1 A and AA, plus axe's best practices (landmarks, one h1, headings in order, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _inject(page) -> None:
    """axe arrives through the DevTools protocol, like a test's own script: the page's CSP
    (script-src 'self' and a nonce) stays in force, so the page is judged as users get it."""
    require(AXE.exists(), f"axe-core at {AXE} (`make axe` runs npm ci)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;0")


def violations(page) -> list[dict]:
    _inject(page)
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                     resultTypes: ['violations']})
                                  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                                                summary: n.failureSummary}))})))""",
        TAGS,
    )


def report(found: list[dict], where: str) -> str:
    lines = [f"{len(found)} axe violation(s) on {where}:"]
    for v in found:
        lines.append(f"  [{v['id']}] ({v['impact']}) {v['help']}")
        for node in v["nodes"]:
            lines.append(f"      at {node['target']}: {node['html'][:160]}")
            lines.extend(f"        {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def assert_accessible(page, what: str = "") -> None:
    """0 violations in both colour schemes; the page is left in the light scheme."""
    where = f"{what or 'page'} ({page.url})"
    problems = []
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found = violations(page)
            if found:
                problems.append(report(found, f"{where}, {scheme} scheme"))
    finally:
        page.emulate_media(color_scheme="light")
    assert not problems, "\n".join(problems)
