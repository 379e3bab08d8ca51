"""Journey: the event page of a seated show tells the truth. Each price category shows its own
free seats (not the whole hall's places), the figure follows other buyers' holds live, and the
page leads to the seat map instead of offering a quantity box that cannot be used."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.conftest import snapshot
from tests.e2e.test_live_availability import AppApi
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.demo_seating import seated_event
from ticketing.models import EventSeat, PriceLevel, Seat, User

pytestmark = pytest.mark.e2e
HALL = {
    "name": "Two Tier Hall",
    "stage": {"x": 0, "y": 0, "label": "Stage"},
    "sections": [{"name": "Stalls", "rows": 4, "seats": 10, "y": 350},
                 {"name": "Circle", "rows": 2, "seats": 5, "y": 1300}],
}


@pytest.fixture
def show(api) -> dict:
    owner = api.register(name="Olga Owner")
    with session_scope() as db:
        owner_row = db.get(User, uuid.UUID(owner["id"]))
        org = make_org(db, owner=owner_row)
        event, session = seated_event(
            db, owner=owner_row, org=org, title=f"Two tiers {uuid.uuid4().hex[:4]}", layout=HALL,
            starts_at=datetime.now(timezone.utc) + timedelta(days=12),
            bands=[("Stalls", "45.00", "#2563eb", None), ("Circle", "25.00", "#16a34a", ["Circle"])],
        )
        circle = list(db.exec(select(EventSeat.id).join(Seat, Seat.id == EventSeat.seat_id)
                              .where(EventSeat.session_id == session.id, Seat.section == "Circle")
                              .order_by(EventSeat.idx)).all())
        types = dict(db.exec(select(PriceLevel.name, PriceLevel.ticket_type_id)
                             .where(PriceLevel.event_id == event.id)).all())
        return {"event": str(event.id), "session": str(session.id), "circle_seats": [str(s) for s in circle[:3]],
                "types": {k: str(v) for k, v in types.items()}}


def test_each_category_shows_its_free_seats_live_and_leads_to_the_map(page: Page, viewport: str, app_url: str,
                                                                     show: dict):
    page.goto(f"/events/{show['event']}")
    stalls = page.locator(f"[data-ticket-type='{show['types']['Stalls']}']")
    circle = page.locator(f"[data-ticket-type='{show['types']['Circle']}']")
    expect(stalls.locator(".units-left")).to_have_text("40")
    expect(circle.locator(".units-left")).to_have_text("10")
    expect(circle).to_contain_text("10 seats left")
    # No quantity box or "Reserve tickets" for seats: each category leads to the map.
    expect(page.locator("#buy-button")).to_have_count(0)
    expect(page.locator(".qty-plus")).to_have_count(0)
    expect(page.locator("#seated-note")).to_be_visible()
    for row in (stalls, circle):  # the session's name fits its column and the figures beside it never overlap
        sessions = row.locator(".type-sessions")
        assert sessions.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert not _overlap(sessions.bounding_box(), row.locator(".type-figures").bounding_box())
    snapshot(page, f"seated-event-page-{viewport}")

    # Someone else holds three circle seats through the API: the figure drops without a reload.
    api = AppApi(app_url)
    buyer = api.account()
    api.call("POST", f"/events/{show['event']}/holds", buyer, json={
        "items": [{"ticket_type_id": show["types"]["Circle"], "quantity": 3}], "seat_ids": show["circle_seats"]})
    expect(circle.locator(".units-left")).to_have_text("7", timeout=15_000)
    expect(stalls.locator(".units-left")).to_have_text("40")
    snapshot(page, f"seated-event-page-live-{viewport}")

    circle.locator(".choose-seats").click()
    expect(page).to_have_url(re.compile(rf"/events/{show['event']}/seats/{show['session']}"))


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
