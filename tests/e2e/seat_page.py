"""A seat map page in a browser, settled before seat positions are read."""

from __future__ import annotations

from playwright.sync_api import Page

MAP = "seat-map"


def wait_seat_page(page: Page, timeout: float = 30_000) -> None:
    """The map has drawn and, on the customer's page, the page's own details are in. That map draws
    from the URL before the page's state arrives; a title that wraps can still move it then, so a
    point read earlier may no longer be over the seat when the tap lands."""
    page.wait_for_function(f"window.__seatmaps && window.__seatmaps['{MAP}'] && window.__seatmaps['{MAP}'].ready"
                           " && (!document.querySelector('#seat-title')"
                           "     || document.querySelector('#seat-title').textContent.trim() !== '')", timeout=timeout)
