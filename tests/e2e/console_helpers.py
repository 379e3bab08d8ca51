"""Shared steps of the organizer-console journeys."""

from __future__ import annotations

import struct
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.conftest import sign_in_as  # noqa: F401  (the console journeys import it from here)
from tests.payments_helpers import pay_at_stripe_only
from ticketing.db import session_scope
from ticketing.models import Order, Refund


def organizer(api) -> dict:
    """A fresh account owning a fresh organization."""
    account = api.register(name="Olivia Organizer", email=f"org-{uuid.uuid4().hex[:8]}@example.com")
    account["org"] = api.org(account["token"], name="Studio Nord")
    return account


def open_console(page: Page, event_id: str, tab: str) -> None:
    page.goto(f"/manage/events/{event_id}/{tab}")
    expect(page.locator("#console-title")).to_be_visible(timeout=30_000)


def png_bytes(width: int = 64, height: int = 24) -> bytes:
    """A small, valid PNG (an indigo band) made without image libraries."""
    row = b"\x00" + b"\x4f\x46\xe5" * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def event_on_sale(api, owner: dict, *, title: str, session_name: str, days_ahead: int, hours: int, capacity: int,
                  type_name: str, price: str) -> tuple[str, str, str]:
    """(event id, session id, ticket type id) of a published one-session event, built over the API."""
    token = owner["token"]
    event = api.post(f"/orgs/{owner['org']['id']}/events", token=token, json={
        "title": title, "description": "", "location": "Hall 1", "timezone": "Europe/Berlin"}).json()
    start = datetime.now(timezone.utc) + timedelta(days=days_ahead)
    session = api.post(f"/events/{event['id']}/sessions", token=token, json={
        "name": session_name, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "capacity": capacity}).json()
    ticket = api.post(f"/events/{event['id']}/ticket-types", token=token, json={
        "name": type_name, "price": price, "currency": "EUR", "session_ids": [session["id"]]}).json()
    assert api.post(f"/events/{event['id']}/publish", token=token).status_code == 200
    return event["id"], session["id"], ticket["id"]


def paid_order(api, event_id: str, ticket_type_id: str, names: list[str]) -> tuple[dict, dict]:
    """A buyer's order paid by card at (local) Stripe, confirmed by the app's webhook."""
    buyer = api.register(name=names[0], email=f"buyer-{uuid.uuid4().hex[:8]}@example.com")
    hold = api.post(f"/events/{event_id}/holds", token=buyer["token"],
                    json={"items": [{"ticket_type_id": ticket_type_id, "quantity": len(names)}]})
    assert hold.status_code == 201, hold.text
    attendees = [{"name": n, "email": f"{n.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com"} for n in names]
    order = api.post(f"/holds/{hold.json()['id']}/checkout", token=buyer["token"], json={"attendees": attendees})
    assert order.status_code == 201, order.text
    order_id = uuid.UUID(order.json()["id"])
    with session_scope(readonly=True) as db:
        pay_at_stripe_only(db.get(Order, order_id))
    deadline = time.monotonic() + 20
    while load_order(order_id).status != "confirmed":
        assert time.monotonic() < deadline, "the payment webhook never confirmed the order"
        time.sleep(0.3)
    return buyer, order.json()


def load_order(order_id: uuid.UUID) -> Order:
    with session_scope(readonly=True) as db:
        return db.get(Order, order_id)


def wait_for_refunds(order_id: str, timeout: float = 20) -> list[tuple[int, str]]:
    """(amount, status) of the order's refunds once none is pending any more."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(readonly=True) as db:
            rows = [(r.amount_minor, r.status) for r in db.exec(
                select(Refund).where(Refund.order_id == uuid.UUID(order_id)).order_by(Refund.created_at)).all()]
        if (rows and all(status != "pending" for _, status in rows)) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)
