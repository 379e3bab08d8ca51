"""Journey: two people watch one event; a third buys; both pages change without reload,
across worker processes (the e2e app runs with Redis and two workers)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORTS, snapshot

pytestmark = pytest.mark.e2e


class AppApi:
    """The running app's JSON API over real HTTP (so its workers publish the live deltas)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=15)

    def account(self) -> dict:
        email = f"live-{uuid.uuid4().hex[:8]}@example.com"
        r = self.http.post("/auth/register", json={"email": email, "password": "long password", "name": "Lee"})
        assert r.status_code == 201, r.text
        token = self.http.post("/auth/token", json={"email": email, "password": "long password"}).json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    def call(self, method: str, path: str, headers: dict, **kw) -> httpx.Response:
        r = self.http.request(method, path, headers=headers, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r


def _published_event(api: AppApi, capacity: int) -> tuple[str, str]:
    owner = api.account()
    org = api.call("POST", "/orgs", owner, json={"name": "Live Hall", "slug": f"live-{uuid.uuid4().hex[:6]}"}).json()
    event = api.call("POST", f"/orgs/{org['id']}/events", owner, json={
        "title": "Open Rehearsal", "description": "Watch the band rehearse.", "location": "Hall 2",
        "timezone": "Europe/Berlin",
    }).json()
    start = datetime.now(timezone.utc) + timedelta(days=5)
    session = api.call("POST", f"/events/{event['id']}/sessions", owner, json={
        "name": "Evening", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": capacity,
    }).json()
    ticket = api.call("POST", f"/events/{event['id']}/ticket-types", owner, json={
        "name": "Standing", "price": "12.00", "currency": "EUR", "session_ids": [session["id"]],
    }).json()
    api.call("POST", f"/events/{event['id']}/publish", owner)
    return event["id"], ticket["id"]


def _open(browser: Browser, base: str, event_id: str, viewport: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=base)
    page = context.new_page()
    page.goto(f"/events/{event_id}")
    expect(page.locator("#event-title")).to_have_text("Open Rehearsal")
    return page


def _units_left(page: Page, ticket_id: str):
    return page.locator(f"[data-ticket-type='{ticket_id}'] .units-left")


def test_a_purchase_changes_other_pages_without_reload(browser: Browser, app_url: str):
    api = AppApi(app_url)
    event_id, ticket_id = _published_event(api, capacity=10)
    watchers = [_open(browser, app_url, event_id, "desktop"), _open(browser, app_url, event_id, "phone")]
    for page in watchers:
        expect(_units_left(page, ticket_id)).to_have_text("10")

    buyer = api.account()
    hold = api.call("POST", f"/events/{event_id}/holds", buyer,
                    json={"items": [{"ticket_type_id": ticket_id, "quantity": 3}]}).json()
    for page in watchers:
        expect(_units_left(page, ticket_id)).to_have_text("7", timeout=5000)

    api.call("DELETE", f"/holds/{hold['id']}", buyer)  # changed their mind: places come back
    for page in watchers:
        expect(_units_left(page, ticket_id)).to_have_text("10", timeout=5000)

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
    event_id, ticket_id = _published_event(api, capacity=50)
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
            expect(_units_left(page, ticket_id)).to_have_text(str(left), timeout=5000)
    # The pages sit on two workers, so every sale reached at least one page through another
    # worker's listener (Redis pub/sub), whichever worker answered it.
    assert api_workers
    for page in pages:
        page.context.close()
