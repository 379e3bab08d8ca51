"""Journey: the attendee list of an event — search, CSV export, cancelling one ticket with a
refund — and the report that follows from it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import event_on_sale, open_console, organizer, paid_order, sign_in_as

pytestmark = pytest.mark.e2e


def test_search_export_and_cancel_attendees(page: Page, viewport: str, api):
    owner = organizer(api)
    event_id, _session_id, ticket_id = event_on_sale(
        api, owner, title="Open Studio Night", session_name="Evening", days_ahead=10, hours=3, capacity=40,
        type_name="Entry", price="20.00")
    paid_order(api, event_id, ticket_id, ["Marie Curie", "Pierre Curie"])
    paid_order(api, event_id, ticket_id, ["Rosalind Franklin"])
    sign_in_as(page, owner["token"])
    open_console(page, event_id, "attendees")

    expect(page.locator("#attendee-count")).to_contain_text("3 tickets")
    page.locator("#attendee-search").fill("rosalind")
    expect(page.locator("#attendee-count")).to_contain_text("1 tickets")
    expect(page.locator("#attendee-table")).to_contain_text("Rosalind Franklin")
    page.locator("#attendee-search").fill("")
    expect(page.locator("#attendee-count")).to_contain_text("3 tickets")

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert rows[0][:3] == ["Name", "Email", "Ticket type"]
    assert sorted(r[0] for r in rows[1:]) == ["Marie Curie", "Pierre Curie", "Rosalind Franklin"]
    assert {r[8] for r in rows[1:]} == {"Paid"}
    assert download.value.suggested_filename == "attendees-open-studio-night.csv"
    snapshot(page, f"console-attendees-{viewport}")

    pierre = page.locator("#attendee-table tr[data-ticket]", has_text="Pierre Curie")
    pierre.locator(".attendee-actions").click()
    page.get_by_role("menuitem", name="Cancel this ticket and refund").click()
    page.locator("#confirm-cancel").click()
    expect(page.get_by_text(re.compile(r"1 ticket\(s\) of ORD-\d{8}-\d{4} cancelled; €20\.00 refunded\."))).to_be_visible()
    expect(page.locator("#attendee-count")).to_contain_text("2 tickets")
    page.locator("#show-filter").get_by_role("radio", name="Cancelled").click()
    expect(page.locator("#attendee-table")).to_contain_text("Pierre Curie")

    page.locator("#tab-reports").click()
    expect(page.locator("#stat-gross")).to_contain_text("€60.00")
    expect(page.locator("#stat-refunds")).to_contain_text("€20.00")
    expect(page.locator("#stat-net")).to_contain_text("€40.00")
    expect(page.locator("#by-type")).to_contain_text("Entry")
    with page.expect_download() as report:
        page.locator("#report-csv").click()
    text = open(report.value.path(), encoding="utf-8").read()
    assert "Refunds,20.00" in text and "Net,40.00" in text
    snapshot(page, f"console-reports-{viewport}")
