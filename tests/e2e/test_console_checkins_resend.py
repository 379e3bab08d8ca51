"""Journey: the organizer sees at the attendee list who came in at the door (per event and per
session) and sends one guest their ticket again, with its QR code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.builders import in_tx
from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import event_on_sale, open_console, organizer, paid_order, sign_in_as
from tests.payments_helpers import outbox
from ticketing.db import session_scope
from ticketing.models import EventSession, Ticket
from ticketing.services.door import admission, ticket_files

pytestmark = pytest.mark.e2e


def test_check_ins_show_per_session_and_a_resent_ticket_carries_its_qr(page: Page, viewport: str, api):
    owner = organizer(api)
    event_id, session_id, ticket_type_id = event_on_sale(
        api, owner, title="Lantern Walk", session_name="Evening walk", days_ahead=5, hours=2, capacity=30,
        type_name="Walker", price="15.00")
    paid_order(api, event_id, ticket_type_id, ["Ada Lovelace", "Alan Turing"])
    with session_scope(readonly=True) as db:
        tickets = {t.holder_name: t for t in db.exec(select(Ticket).where(Ticket.event_id == uuid.UUID(event_id)))}
        start = db.get(EventSession, uuid.UUID(session_id)).starts_at
    ada, alan = tickets["Ada Lovelace"], tickets["Alan Turing"]
    # Ada comes in at the door five minutes after the start (the door's service, its clock given).
    answer = in_tx(admission.scan_ticket, event_id=uuid.UUID(event_id), user_id=uuid.UUID(str(owner["id"])),
                   ticket_id=ada.id, session_id=uuid.UUID(session_id), gate="Gate 1",
                   now=start + timedelta(minutes=5))
    assert answer.admitted

    sign_in_as(page, owner["token"])
    page.goto(f"/manage/events/{event_id}/attendees?session={session_id}")
    expect(page.locator("#console-title")).to_be_visible(timeout=30_000)
    # By ticket: Ada bought both tickets, so her name (as the buyer) is on Alan's row too.
    ada_row = page.locator(f'#attendee-table tr[data-ticket="{ada.id}"]')
    alan_row = page.locator(f'#attendee-table tr[data-ticket="{alan.id}"]')
    expect(ada_row).to_contain_text("Checked in")
    expect(alan_row).to_contain_text("Not yet")
    if viewport == "phone":  # the payment and door columns are hidden there: the name cell says both
        expect(ada_row.locator(".only-sm")).to_be_visible()
        expect(ada_row.locator(".only-sm")).to_contain_text("Paid · Checked in")
    else:
        expect(ada_row.locator(".only-sm")).to_be_hidden()
    snapshot(page, f"console-attendees-checkins-{viewport}")

    open_console(page, event_id, "attendees")  # the whole event: which sessions, when
    expect(ada_row).to_contain_text("Evening walk")
    expect(alan_row).to_contain_text("Not yet")

    alan_row.locator(".attendee-actions").click()
    page.get_by_role("menuitem", name="Send ticket again").click()
    expect(page.get_by_text("Sent 1 ticket(s) again.")).to_be_visible()
    (mail,) = outbox(alan.holder_email)
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert images and all(part.get_content() == ticket_files.qr_png(alan.code) for part in images)
    assert alan.code in mail.get_body(preferencelist=("plain",)).get_content()
