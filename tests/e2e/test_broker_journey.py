"""Journey (broker mode, seed 002), on desktop and phone: an agency user adds a supplier, selects
seats on the seat map and buys them with a purchase order confirmed at once; the seats turn
sellable on the customer's map; a customer picks one on the map and pays by card (local
Stripe) in a browser of their own; the Profit page, left open, shows the sale's margin without a reload."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from tests.e2e.buying import VISA, fill_card
from tests.e2e.conftest import VIEWPORTS, sign_in_as, snapshot
from tests.factories import make_org
from tests.e2e.seat_page import wait_seat_page
from ticketing.db import session_scope
from ticketing.demo_seating import seated_event
from ticketing.models import PurchaseOrder, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.broker import modes

pytestmark = pytest.mark.e2e
HALL = {"name": "Agency Hall", "stage": {"x": 0, "y": 0, "label": "Stage"},
        "sections": [{"name": "Stalls", "rows": 4, "seats": 10, "y": 350}]}
MAP = "seat-map"


@pytest.fixture
def agency(api) -> dict:
    """An agency owner with a seated show in broker mode (no seat owned yet) and a customer."""
    owner = api.register(name="Ava Agent")
    customer = api.register(name="Casey Customer")
    with session_scope() as db:
        row = db.get(User, uuid.UUID(owner["id"]))
        org = make_org(db, owner=row, name="Citywide Tickets")
        event, session = seated_event(db, owner=row, org=org, title=f"Agency night {uuid.uuid4().hex[:4]}",
                                      layout=HALL, starts_at=datetime.now(timezone.utc) + timedelta(days=12),
                                      bands=[("Stalls", "45.00", "#2563eb", None)])
        modes.enable_broker_mode(db=db, user_id=row.id, event_id=event.id, now=utcnow())
        token = issue_token(user_id=row.id, token_version=row.token_version, now=utcnow())
        buyer = db.get(User, uuid.UUID(customer["id"]))
        customer_token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
    return {"event": str(event.id), "session": str(session.id), "owner": owner, "owner_token": token,
            "customer": customer, "customer_token": customer_token,
            "admin_url": f"/manage/events/{event.id}/seats/{session.id}"}


def wait_ready(page: Page) -> None:
    wait_seat_page(page)


def seat(page: Page, row: str, number: int) -> int:
    return page.evaluate(f"window.__seatmaps['{MAP}'].find('Stalls', '{row}', '{number}')")


def status(page: Page, idx: int) -> str:
    return page.evaluate(f"window.__seatmaps['{MAP}'].status({idx})")


def choose(page: Page, idx: int, phone: bool) -> None:
    p = page.evaluate(f"window.__seatmaps['{MAP}'].screenPoint({idx})")
    if phone and not p["visible"]:
        page.evaluate(f"window.__seatmaps['{MAP}'].zoomTo({idx}, 14)")  # a thumb needs the seat large enough
        p = page.evaluate(f"window.__seatmaps['{MAP}'].screenPoint({idx})")
    if phone:
        page.touchscreen.tap(p["x"], p["y"])
    else:
        page.mouse.click(p["x"], p["y"])


def customer_buys(browser: Browser, app_url: str, viewport: str, agency: dict, seat_idx: int) -> None:
    """The customer, in a browser of their own, picks the seat on the public map, holds it, checks
    out and pays with a test card (local Stripe); the app confirms the order."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url, is_mobile=viewport == "phone",
                                  has_touch=viewport == "phone")
    context.set_default_timeout(15_000)
    buyer = context.new_page()
    errors: list[str] = []
    buyer.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in_as(buyer, agency["customer_token"])
        buyer.goto(f"/events/{agency['event']}/seats/{agency['session']}")
        wait_ready(buyer)
        assert status(buyer, seat_idx) == "Available"
        phone = viewport == "phone"
        if phone:
            buyer.evaluate(f"window.__seatmaps['{MAP}'].zoomTo({seat_idx}, 14)")
        choose(buyer, seat_idx, phone)
        expect(buyer.locator(".selected-seat")).to_have_count(1)
        expect(buyer.locator("#total")).to_have_text("€45.00")
        buyer.locator("#hold-seats").click()
        expect(buyer.locator("#hold-panel")).to_contain_text("1 seat held for you")
        buyer.locator("#to-checkout").click()
        buyer.locator("#checkout-button").click()
        expect(buyer.locator("#card-element input[data-field='number']")).to_be_visible()
        fill_card(buyer, VISA)
        buyer.locator("#pay-button").click()
        expect(buyer.locator("#order-confirmed")).to_be_visible(timeout=30_000)
        snapshot(buyer, f"broker-customer-bought-{viewport}")
    finally:
        context.close()
    assert not errors, errors


def test_agency_buys_seats_from_the_map_and_sees_the_margin_of_a_sale_live(
        page: Page, viewport: str, browser: Browser, app_url: str, agency: dict):
    phone = viewport == "phone"
    sign_in_as(page, agency["owner_token"])

    # 1. A supplier.
    page.goto("/manage/broker/suppliers")
    page.locator("#field-name").fill("Riverside Theatre Ltd")
    page.locator("#field-email").fill("box@riverside.test")
    page.locator("#field-payment_terms_days").fill("30")
    page.locator("#add-supplier").click()
    expect(page.locator("#broker-message")).to_contain_text("Riverside Theatre Ltd added")
    expect(page.locator("#suppliers")).to_contain_text("venue owner")
    snapshot(page, f"broker-suppliers-{viewport}")

    # 2. Seats selected on the map, bought with a purchase order confirmed at once.
    page.goto(agency["admin_url"])
    wait_ready(page)
    chosen = [seat(page, "A", n) for n in (4, 5, 6)]
    assert all(i >= 0 for i in chosen) and {status(page, i) for i in chosen} == {"Not owned"}
    for i in chosen:
        choose(page, i, phone)
    expect(page.locator("#selected-count")).to_contain_text("3")
    page.locator("#buy-supplier").click()
    page.get_by_role("option", name="Riverside Theatre Ltd").click()
    page.locator("#buy-unit-cost").fill("30.00")
    page.locator("#action-buy").click()
    expect(page.locator("#seat-admin-message")).to_contain_text("PO-0001 confirmed: 3 seat(s) are now on sale")
    page.wait_for_function(f"{chosen}.every(i => window.__seatmaps['{MAP}'].status(i) === 'Available')",
                           timeout=15_000)
    snapshot(page, f"broker-seatmap-bought-{viewport}")
    with session_scope(readonly=True) as db:
        po = db.exec(select(PurchaseOrder)).one()
        assert (po.status, po.total_cost_minor) == ("confirmed", 9000)

    # 3. The Profit page stays open while a customer buys one of the seats.
    page.goto("/manage/broker/profit")
    expect(page.locator("#stat-sold")).to_have_text("0", timeout=30_000)
    expect(page.locator("#profit-rows")).to_contain_text("Agency night")
    customer_buys(browser, app_url, viewport, agency, chosen[0])
    expect(page.locator("#stat-sold")).to_have_text("1", timeout=15_000)
    expect(page.locator("#stat-profit")).to_have_text("€15.00")  # 45.00 retail - 30.00 cost
    expect(page.locator("#stat-margin")).to_have_text("33.33 %")
    snapshot(page, f"broker-profit-{viewport}")

    # 4. Purchase orders list the order, paid nothing yet.
    page.goto("/manage/broker/orders")
    expect(page.locator("#purchase-orders")).to_contain_text("PO-0001")
    expect(page.locator("#purchase-orders")).to_contain_text("unpaid")
    snapshot(page, f"broker-orders-{viewport}")

    # 5. Inventory: the two unsold seats, with their order, value and age, and the way to the map.
    page.goto("/manage/broker/inventory")
    expect(page.locator("#unsold-inventory")).to_contain_text("PO-0001")
    expect(page.locator("#unsold-inventory")).to_contain_text("€60.00")
    snapshot(page, f"broker-inventory-{viewport}")
