"""Journey: two people watch one event; a third buys; both pages change without reload,
across worker processes (the e2e app runs with Redis and two workers)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.app_api import AppApi, published_event, units_left
from tests.e2e.conftest import VIEWPORTS, snapshot

pytestmark = pytest.mark.e2e


def _open(browser: Browser, base: str, event_id: str, viewport: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=base)
    page = context.new_page()
    page.goto(f"/events/{event_id}")
    expect(page.locator("#event-title")).to_have_text("Open Rehearsal")
    return page


def test_a_purchase_changes_other_pages_without_reload(browser: Browser, app_url: str):
    api = AppApi(app_url)
    event_id, ticket_id = published_event(api, capacity=10)
    watchers = [_open(browser, app_url, event_id, "desktop"), _open(browser, app_url, event_id, "phone")]
    for page in watchers:
        expect(units_left(page, ticket_id)).to_have_text("10")

    buyer = api.account()
    hold = api.call("POST", f"/events/{event_id}/holds", buyer,
                    json={"items": [{"ticket_type_id": ticket_id, "quantity": 3}]}).json()
    for page in watchers:
        expect(units_left(page, ticket_id)).to_have_text("7", timeout=5000)

    api.call("DELETE", f"/holds/{hold['id']}", buyer)  # changed their mind: places come back
    for page in watchers:
        expect(units_left(page, ticket_id)).to_have_text("10", timeout=5000)

    last_buyer = api.account()
    api.call("POST", f"/events/{event_id}/holds", last_buyer,
             json={"items": [{"ticket_type_id": ticket_id, "quantity": 10}]})
    for page, viewport in zip(watchers, ["desktop", "phone"]):
        ticket_row = page.locator(f"[data-ticket-type='{ticket_id}']")
        expect(ticket_row.locator(".reason")).to_have_text("Sold out", timeout=5000)
        expect(ticket_row).to_contain_text("places in carts may come back")  # held, not paid
        expect(page.locator("[data-session] .places-left")).to_have_text("0")
        snapshot(page, f"live-sold-out-{viewport}")
    for page in watchers:
        page.context.close()


def test_a_purchase_on_one_worker_reaches_pages_on_another(browser: Browser, app_url: str):
    api = AppApi(app_url)
    event_id, ticket_id = published_event(api, capacity=50)
    pages: list[Page] = []
    workers: set[str] = set()
    for _ in range(8):  # each new tab lands on some worker; collect tabs until two workers serve them
        page = _open(browser, app_url, event_id, "desktop")
        expect(page.locator("#event-head")).to_have_attribute("data-worker", re.compile(r"^\d+$"))
        pages.append(page)
        workers.add(page.locator("#event-head").get_attribute("data-worker"))
        if len(workers) >= 2:
            break
    assert len(workers) >= 2, "the e2e app should run two workers"

    left = 50
    api_workers: set[str] = set()
    for _ in range(3):  # three purchases, answered by whichever worker the balancer picks
        buyer = api.account()
        r = api.call("POST", f"/events/{event_id}/holds", buyer,
                     json={"items": [{"ticket_type_id": ticket_id, "quantity": 2}]})
        api_workers.add(r.headers["x-worker"])
        left -= 2
        for page in pages:
            expect(units_left(page, ticket_id)).to_have_text(str(left), timeout=5000)
    # The pages sit on two workers, so every sale reached at least one page through another
    # worker's listener (Redis pub/sub), whichever worker answered it.
    assert api_workers
    for page in pages:
        page.context.close()
