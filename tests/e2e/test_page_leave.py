"""A page being left opens no new websocket (see ticketing/components/page_leave.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

OPEN_SOCKET = """() => {
  try {
    const ws = new WebSocket(location.origin.replace("http", "ws") + "/_event/?probe=1");
    ws.close();
    return "opened";
  } catch (err) {
    return err.name;
  }
}"""


def test_a_page_being_left_cannot_reconnect_until_it_stays(page: Page, viewport: str):
    page.goto("/")
    expect(page.locator("#events-empty, #events-list").first).to_be_visible()
    assert page.evaluate(OPEN_SOCKET) == "opened"

    page.evaluate("() => window.dispatchEvent(new Event('beforeunload'))")
    assert page.evaluate(OPEN_SOCKET) == "InvalidStateError"

    # The page stayed (back-forward cache restore): sockets open again.
    page.evaluate("() => window.dispatchEvent(new Event('pageshow'))")
    assert page.evaluate(OPEN_SOCKET) == "opened"

    # Or it stayed without a pageshow (a download): the guard lifts by itself.
    page.evaluate("() => window.dispatchEvent(new Event('beforeunload'))")
    page.wait_for_timeout(2100)
    assert page.evaluate(OPEN_SOCKET) == "opened"
