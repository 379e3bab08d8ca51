"""Accessibility checks with axe-core (the npm package, installed by scripts/install --test),
injected into the page by Playwright. A check fails on any violation and names each one."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(os.environ.get("AXE_CORE_JS", ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
# WCAG 2.1 A and AA plus axe's best practices: what a screen reader or keyboard user trips on.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page: Page, *, exclude: list[str] | None = None) -> list[dict]:
    """axe's violations on the page as it is now (`exclude`: CSS selectors left out)."""
    if not AXE_JS.exists():
        raise RuntimeError(f"axe-core not found at {AXE_JS}: run scripts/install --test")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    return page.evaluate(
        "async ([context, tags]) => (await window.axe.run(context || document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        [context, TAGS],
    )


def assert_accessible(page: Page, name: str, *, exclude: list[str] | None = None) -> None:
    found = violations(page, exclude=exclude)
    assert not found, f"axe-core on {name}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found)
