"""Shared steps of the organizer-console journeys."""

from __future__ import annotations

import struct
import uuid
import zlib

from playwright.sync_api import Page, expect

from ticketing.models.base import utcnow
from ticketing.services import orders
from tests.builders import in_tx


def sign_in_as(page: Page, token: str) -> None:
    """Put the account's token where the app keeps it, as signing in would."""
    page.add_init_script(f"window.localStorage.setItem('tk_token', {token!r});")


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


def paid_order(api, event_id: str, ticket_type_id: str, names: list[str]) -> tuple[dict, dict]:
    """A buyer's confirmed order (the payment itself is the payments capability's journey)."""
    buyer = api.register(name=names[0], email=f"buyer-{uuid.uuid4().hex[:8]}@example.com")
    hold = api.post(f"/events/{event_id}/holds", token=buyer["token"],
                    json={"items": [{"ticket_type_id": ticket_type_id, "quantity": len(names)}]})
    assert hold.status_code == 201, hold.text
    attendees = [{"name": n, "email": f"{n.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com"} for n in names]
    order = api.post(f"/holds/{hold.json()['id']}/checkout", token=buyer["token"], json={"attendees": attendees})
    assert order.status_code == 201, order.text
    in_tx(orders.confirm_order, order_id=uuid.UUID(order.json()["id"]), now=utcnow(), payment_reference="pi_e2e")
    return buyer, order.json()
