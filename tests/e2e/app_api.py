"""The running app's JSON API over real HTTP, for journeys that need sales made by someone else
(the app's workers publish the live deltas), and where an event page shows what is left."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
from playwright.sync_api import Page


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


def published_event(api: AppApi, capacity: int) -> tuple[str, str]:
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


def units_left(page: Page, ticket_id: str):
    return page.locator(f"[data-ticket-type='{ticket_id}'] .units-left")
