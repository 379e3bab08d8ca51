"""Journey: two customers on one seated show. A picks and holds seats, B sees them turn held
without reloading, A's hold runs out and B sees them free again. On a phone: pinch to zoom and
tap to choose a seat."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlmodel import select

from tests.e2e.conftest import VIEWPORTS, snapshot
from tests.factories import make_org
from tests.e2e.seat_page import wait_seat_page
from ticketing.db import session_scope
from ticketing.demo_seating import seated_event
from ticketing.models import EventSeat, Hold, PlaceClaim, User

pytestmark = pytest.mark.e2e
HALL = {
    "name": "Studio Theatre",
    "stage": {"x": 0, "y": 0, "label": "Stage"},
    "sections": [{"name": "Stalls", "rows": 6, "seats": 12, "y": 350, "aisles": [6],
                  "special": [{"type": "wheelchair", "rows": ["F"], "seats": ["1"]},
                              {"type": "companion", "rows": ["F"], "seats": ["2"]}]}],
}
MAP = "seat-map"


@pytest.fixture
def show(api) -> dict:
    """A published seated show and a registered customer (signed in through the UI)."""
    owner = api.register(name="Olga Owner")
    customer = api.register(name="Ann Buyer")
    with session_scope() as db:
        owner_row = db.get(User, uuid.UUID(owner["id"]))
        org = make_org(db, owner=owner_row)
        event, session = seated_event(
            db, owner=owner_row, org=org, title=f"Studio night {uuid.uuid4().hex[:4]}",
            layout=HALL, starts_at=datetime.now(timezone.utc) + timedelta(days=10),
            bands=[("Stalls", "30.00", "#2563eb", None)],
        )
        return {"event": str(event.id), "session": str(session.id), "customer": customer, "owner": owner,
                "url": f"/events/{event.id}/seats/{session.id}",
                "admin_url": f"/manage/events/{event.id}/seats/{session.id}"}


def sign_in(page: Page, account: dict, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(account["email"])
    page.get_by_label("Password").fill(account["password"])
    page.locator("#sign-in-submit").click()
    expect(page).to_have_url(re.compile(re.escape(next_url)))


def wait_ready(page: Page) -> None:
    wait_seat_page(page)


def seat(page: Page, section: str, row: str, number: int) -> int:
    return page.evaluate(f"window.__seatmaps['{MAP}'].find('{section}', '{row}', '{number}')")


def status(page: Page, idx: int) -> str:
    return page.evaluate(f"window.__seatmaps['{MAP}'].status({idx})")


def point(page: Page, idx: int) -> dict:
    return page.evaluate(f"window.__seatmaps['{MAP}'].screenPoint({idx})")


def wait_status(page: Page, idxs: list[int], wanted: str, timeout: float = 20_000) -> None:
    page.wait_for_function(
        f"{idxs}.every(i => window.__seatmaps['{MAP}'].status(i) === '{wanted}')", timeout=timeout)


def test_a_holds_seats_b_sees_them_held_then_free_again_when_the_hold_expires(browser: Browser, app_url: str,
                                                                            show: dict):
    contexts = [browser.new_context(viewport=VIEWPORTS["desktop"], base_url=app_url) for _ in range(2)]
    a, b = (c.new_page() for c in contexts)
    errors: list[str] = []
    for p in (a, b):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(a, show["customer"], show["url"])
        b.goto(show["url"])
        wait_ready(a)
        wait_ready(b)
        chosen = [seat(a, "Stalls", "A", n) for n in (5, 6)]
        assert all(i >= 0 for i in chosen)
        for i in chosen:
            p = point(a, i)
            a.mouse.click(p["x"], p["y"])
        expect(a.locator(".selected-seat")).to_have_count(2)
        expect(a.locator("#total")).to_have_text("€60.00")
        snapshot(a, "seatmap-a-selected-desktop")
        a.locator("#hold-seats").click()
        expect(a.locator("#hold-panel")).to_contain_text("2 seats held for you")

        # B never reloads: the seats turn held on its map through the pushed delta.
        wait_status(b, chosen, "Held", timeout=10_000)
        expect(b.locator("#seat-map .seatmap-key[data-status='Held'] .seatmap-count")).to_have_text("2")
        p = point(b, chosen[0])
        b.mouse.move(p["x"], p["y"])
        expect(b.locator(".seatmap-tip")).to_contain_text("Held")
        snapshot(b, "seatmap-b-sees-held-desktop")

        # A's hold runs out (its expiry moved to now, as time passing would); the sweeper tells B.
        with session_scope() as db:
            hold_id = db.exec(select(Hold.id).where(Hold.event_id == uuid.UUID(show["event"]))).one()
            soon = datetime.now(timezone.utc) + timedelta(seconds=1)
            db.exec(update(Hold).where(Hold.id == hold_id).values(expires_at=soon))
            db.exec(update(PlaceClaim).where(PlaceClaim.hold_id == hold_id).values(expires_at=soon))
            db.exec(update(EventSeat).where(EventSeat.hold_id == hold_id).values(expires_at=soon))
        wait_status(b, chosen, "Available", timeout=20_000)
        expect(b.locator("#seat-map .seatmap-key[data-status='Held'] .seatmap-count")).to_have_text("0")
        snapshot(b, "seatmap-b-sees-free-again-desktop")
        wait_status(a, chosen, "Available", timeout=10_000)
        expect(a.locator("#hold-panel")).to_have_count(0, timeout=10_000)
        expect(a.locator("#seat-note")).to_contain_text("expired")

        # Keyboard: arrows move a cursor from seat to seat, Enter chooses the seat under it.
        b.locator("#seat-map canvas").focus()
        for key in ("ArrowUp", "ArrowRight", "ArrowRight", "ArrowDown", "Enter"):
            b.keyboard.press(key)
        expect(b.locator(".selected-seat")).to_have_count(1)
    finally:
        for c in contexts:
            c.close()
    assert not errors, errors


def pinch(page: Page, centre: dict, start: float, end: float, steps: int = 8) -> None:
    """Two fingers moving apart around `centre` (Chrome DevTools touch events)."""
    cdp = page.context.new_cdp_session(page)

    def fingers(d: float) -> list[dict]:
        return [{"x": centre["x"] - d, "y": centre["y"], "id": 1}, {"x": centre["x"] + d, "y": centre["y"], "id": 2}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(start)})
    for k in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                              "touchPoints": fingers(start + (end - start) * k / steps)})
        time.sleep(0.02)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_phone_pinch_to_zoom_and_tap_to_choose(browser: Browser, app_url: str, show: dict):
    context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=app_url, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(show["url"])
        wait_ready(page)
        box = page.locator("#seat-map canvas").bounding_box()
        before = page.evaluate(f"window.__seatmaps['{MAP}'].scale")
        pinch(page, {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}, 30, 120)
        after = page.evaluate(f"window.__seatmaps['{MAP}'].scale")
        assert after > before * 2, (before, after)
        idx = seat(page, "Stalls", "C", 7)
        p = point(page, idx)
        if not p["visible"]:
            page.evaluate(f"window.__seatmaps['{MAP}'].zoomTo({idx}, 14)")
            p = point(page, idx)
        page.touchscreen.tap(p["x"], p["y"])
        expect(page.locator(".selected-seat")).to_have_count(1)
        expect(page.locator(".selected-seat")).to_contain_text("Row C · Seat 7")
        snapshot(page, "seatmap-phone-zoomed-selected")
        page.locator("#find-best").tap()
        expect(page.locator(".selected-seat")).to_have_count(2)
        expect(page.locator("#total")).to_have_text("€60.00")
        # The zoom buttons work with a thumb too.
        page.get_by_label("Show the whole venue").tap()
        assert page.evaluate(f"window.__seatmaps['{MAP}'].scale") < after
    finally:
        context.close()
    assert not errors, errors


def test_organizer_holds_back_a_seat_and_releases_it_while_a_customer_watches(browser: Browser, app_url: str,
                                                                             show: dict):
    contexts = [browser.new_context(viewport=VIEWPORTS["desktop"], base_url=app_url) for _ in range(2)]
    org, customer = (c.new_page() for c in contexts)
    try:
        sign_in(org, show["owner"], show["admin_url"])
        customer.goto(show["url"])
        wait_ready(org)
        wait_ready(customer)
        idx = seat(org, "Stalls", "B", 3)
        p = point(org, idx)
        org.mouse.click(p["x"], p["y"])
        expect(org.locator("#selected-count")).to_contain_text("1")
        expect(org.locator("#seat-detail-label")).to_contain_text("Row B · Seat 3")
        org.locator("#action-hold").click()
        expect(org.locator("#seat-admin-message")).to_contain_text("1 seat(s) held back")
        wait_status(customer, [idx], "Held back", timeout=10_000)
        expect(org.locator("#seat-detail")).to_contain_text("house")
        snapshot(org, "seatmap-organizer-desktop")
        org.locator("#action-release").click()
        expect(org.locator("#seat-admin-message")).to_contain_text("released to sale")
        wait_status(customer, [idx], "Available", timeout=10_000)
    finally:
        for c in contexts:
            c.close()
