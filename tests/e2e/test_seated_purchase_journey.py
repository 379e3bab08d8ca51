"""Journey: a seated show bought seat by seat. The seats chosen on the map follow every ticket:
the cart, the payment page, the confirmation, My tickets, the cancel and transfer dialogs and
the confirmation mail all name section, row and seat, with the performance's date and time.
After the customer's own hold the screen reader hears "held for you", never "just taken"."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.buying import VISA, fill_card
from tests.e2e.conftest import sign_in_as, snapshot
from tests.factories import make_org
from tests.payments_helpers import outbox
from tests.e2e.seat_page import wait_seat_page
from ticketing.db import session_scope
from ticketing.demo_seating import seated_event
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

pytestmark = pytest.mark.e2e
HALL = {
    "name": "Studio Theatre",
    "stage": {"x": 0, "y": 0, "label": "Stage"},
    "sections": [{"name": "Stalls", "rows": 4, "seats": 10, "y": 350}],
}
MAP = "seat-map"
# An evening in Berlin, far enough ahead to be cancellable; pages and mails show local times.
STARTS = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=18, minute=30, second=0, microsecond=0)
LOCAL = STARTS.astimezone(ZoneInfo("Europe/Berlin"))
SPAN = f"{LOCAL:%a} {LOCAL.day} {LOCAL:%b %Y, %H:%M}–{LOCAL + timedelta(hours=3):%H:%M}"


@pytest.fixture
def seated(api, page: Page) -> dict:
    owner = api.register(name="Olga Owner")
    customer = api.register(name="Sam Seated")
    with session_scope() as db:
        owner_row = db.get(User, uuid.UUID(owner["id"]))
        org = make_org(db, owner=owner_row)
        event, session = seated_event(
            db, owner=owner_row, org=org, title=f"Seated night {uuid.uuid4().hex[:4]}", layout=HALL,
            starts_at=STARTS, tz="Europe/Berlin", bands=[("Stalls", "45.00", "#2563eb", None)],
        )
        buyer = db.get(User, uuid.UUID(customer["id"]))
        token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
        out = {"event": str(event.id), "session": str(session.id), "email": customer["email"],
               "url": f"/events/{event.id}/seats/{session.id}"}
    sign_in_as(page, token)
    return out


def _pick(page: Page, row: str, numbers: tuple[int, ...]) -> None:
    wait_seat_page(page)
    for n in numbers:
        idx = page.evaluate(f"window.__seatmaps['{MAP}'].find('Stalls', '{row}', '{n}')")
        page.evaluate(f"window.__seatmaps['{MAP}'].zoomTo({idx}, 14)")
        p = page.evaluate(f"window.__seatmaps['{MAP}'].screenPoint({idx})")
        page.mouse.click(p["x"], p["y"])
    expect(page.locator(".selected-seat")).to_have_count(len(numbers))


WHEN = f"Evening performance · {SPAN}"
A8, A9 = "Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"


def test_seats_and_dates_follow_the_tickets_from_map_to_mail(page: Page, viewport: str, seated: dict):
    page.goto(seated["url"])
    _pick(page, "A", (8, 9))
    page.locator("#hold-seats").click()
    expect(page.locator("#hold-panel")).to_contain_text("2 seats held for you")
    # Our own hold is announced as ours, and no "seat was just taken" alarm follows it.
    announce = page.locator(f"#{MAP} .seatmap-announce")
    expect(announce).to_have_text("2 seats held for you")
    page.wait_for_timeout(3500)  # past the map's wait for a held seat's owner
    expect(announce).to_have_text("2 seats held for you")
    snapshot(page, f"seated-held-{viewport}")

    page.locator("#to-checkout").click()
    lines = page.locator(".order-line")
    expect(lines).to_have_count(1)
    expect(lines.locator(".line-seats")).to_contain_text(A8)
    expect(lines.locator(".line-seats")).to_contain_text(A9)
    expect(lines.locator(".line-when")).to_have_text(WHEN)
    # A seated event asks a name per ticket; each slot names its seat; the first is "same as me".
    slots = page.locator(".attendee-slot")
    expect(slots).to_have_count(2)
    expect(slots.nth(0)).to_contain_text(f"Ticket 1 — {A8}")
    expect(slots.nth(1)).to_contain_text(f"Ticket 2 — {A9}")
    slots.nth(1).locator(".attendee-name input").fill("Pat Partner")
    snapshot(page, f"seated-cart-{viewport}")
    page.locator("#checkout-button").click()

    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator(".order-line .line-seats")).to_contain_text(A8)
    expect(page.locator(".order-line .line-seats")).to_contain_text(A9)
    expect(page.locator(".order-line .line-when")).to_have_text(WHEN)
    fill_card(page, VISA)
    snapshot(page, f"seated-payment-{viewport}")
    page.locator("#pay-button").click()

    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    seats = page.locator(".ticket-card .ticket-seat")
    expect(seats).to_have_text([A8, A9])
    expect(page.locator(".ticket-card").first).to_contain_text(WHEN)
    snapshot(page, f"seated-confirmation-{viewport}")

    (mail,) = outbox(seated["email"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Seat: {A8}" in text and f"Seat: {A9}" in text, text
    assert "Pat Partner" in text
    assert f"Evening performance ({SPAN})" in text, text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert A8 in html and A9 in html

    page.locator("#my-tickets-link").click()
    expect(page).to_have_url(re.compile(r"/tickets/?$"))
    cards = page.locator(".ticket-card")
    expect(cards.locator(".ticket-seat")).to_have_text([A8, A9])
    snapshot(page, f"seated-my-tickets-{viewport}")
    cards.first.locator(".cancel-ticket-button").click()
    expect(page.locator("#cancel-text")).to_contain_text(A8)
    expect(page.locator("#cancel-text")).to_contain_text(WHEN)
    snapshot(page, f"seated-cancel-dialog-{viewport}")
    page.get_by_role("button", name="Keep my tickets").click()
    cards.nth(1).locator(".transfer-button").click()
    expect(page.locator("#transfer-ticket")).to_contain_text(A9)
    expect(page.locator("#transfer-ticket")).to_contain_text(WHEN)
    snapshot(page, f"seated-transfer-dialog-{viewport}")
