"""Journey: a month of daily yoga classes from one rule (preview first), a clashing schedule
refused for the room, and one class called off — its ticket holders refunded and emailed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import open_console, organizer, paid_order, sign_in_as, wait_for_refunds
from ticketing.settings import get_settings

pytestmark = pytest.mark.e2e


def test_a_month_of_daily_classes_then_one_called_off(page: Page, viewport: str, api):
    owner = organizer(api)
    event = api.post(f"/orgs/{owner['org']['id']}/events", token=owner["token"], json={
        "title": "Morning Yoga", "description": "Start the day slowly.", "location": "Studio Nord",
        "timezone": "Europe/Berlin"}).json()
    sign_in_as(page, owner["token"])
    open_console(page, event["id"], "schedules")

    room = f"Studio A {uuid.uuid4().hex[:4]}"
    page.locator("#f-room_name").fill(room)
    page.locator("#add-room").click()
    expect(page.locator("#f-room_id")).to_contain_text(room)
    form = page.locator("#schedule-form")
    form.locator("#f-name").fill("Morning Yoga")
    form.locator("#f-room_id").select_option(label=room)
    # The defaults are a month of daily classes from tomorrow, 07:00-08:00, 12 places at 12.00.
    form.locator("#preview-schedule").click()
    expect(page.locator("#preview-summary")).to_contain_text("30 new dates")
    expect(page.locator("#preview-lines")).to_contain_text("07:00–08:00")
    snapshot(page, f"console-schedule-preview-{viewport}")
    page.locator("#create-schedule").click()
    expect(page.get_by_text("30 dates created.")).to_be_visible()
    expect(page.locator("#dates [data-date]")).to_have_count(30)
    snapshot(page, f"console-schedule-dates-{viewport}")

    # Running the rule again adds nothing.
    page.locator("#schedules").get_by_role("button", name="Run again").click()
    expect(page.get_by_text("0 new dates; 30 already there or past.")).to_be_visible()

    # A second schedule in the same room at overlapping times is refused before anything is made.
    form.locator("#f-name").fill("Pilates")
    form.locator("#f-start_time").fill("07:30")
    form.locator("#f-end_time").fill("08:30")
    form.locator("#f-room_id").select_option(label=room)
    form.locator("#preview-schedule").click()
    expect(page.locator("#preview-summary")).to_contain_text("30 clash with the room")
    expect(page.locator("#create-schedule")).to_be_disabled()

    r = api.post(f"/events/{event['id']}/publish", token=owner["token"])
    assert r.status_code == 200, r.text
    types = api.get(f"/events/{event['id']}").json()["ticket_types"]
    third = types[2]
    buyer, order = paid_order(api, event["id"], third["id"], ["Maya Buyer", "Noor Friend"])
    outbox = Path(get_settings().outbox_dir)  # the app writes to this run's outbox too (same env)
    before = set(outbox.glob("*.eml"))

    open_console(page, event["id"], "schedules")
    page.locator(".show-dates").first.click()
    row = page.locator("#dates [data-date]").nth(2)
    expect(row.locator(".date-taken")).to_contain_text("2/12 taken")
    row.locator(".call-off-date").click()
    page.locator(".call-off-confirm").click()
    expect(page.get_by_text("2 ticket(s) cancelled, €24.00 refunded, holders emailed.")).to_be_visible()
    expect(row).to_contain_text("called off")
    snapshot(page, f"console-schedule-called-off-{viewport}")

    mine = api.get(f"/orders/{order['id']}", token=buyer["token"]).json()
    assert mine["status"] == "cancelled"
    assert wait_for_refunds(order["id"]) == [(2400, "succeeded")]  # sent to (local) Stripe after commit
    assert {t["status"] for t in mine["tickets"]} == {"cancelled"}
    sent = [p.read_text(errors="replace") for p in set(outbox.glob("*.eml")) - before]
    assert any("Noor Friend" in text and "refunded in full" in text for text in sent), sent
    # The public page no longer offers that class.
    public = api.get(f"/events/{event['id']}/availability").json()
    called_off = next(s for s in public["sessions"] if s["name"] == third["name"])
    assert called_off["available"] == 0
