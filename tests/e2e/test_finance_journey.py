"""Journey: after a purchase and a refund, the organizer opens Finance, reads the trial balance
(debits = credits) and the event's profit and loss, and downloads the ledger as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import event_on_sale, organizer, paid_order, sign_in_as, wait_for_refunds

pytestmark = pytest.mark.e2e


def test_organizer_reads_the_books_and_downloads_the_csv(page: Page, viewport: str, api):
    owner = organizer(api)
    event_id, _session_id, ticket_id = event_on_sale(
        api, owner, title="Harbour Jazz Night", session_name="Evening", days_ahead=12, hours=3, capacity=50,
        type_name="Standing", price="40.00")
    _buyer, order = paid_order(api, event_id, ticket_id, ["Nina Simone", "Chet Baker"])
    refunded = api.post(f"/orders/{order['id']}/cancel", token=owner["token"],
                        json={"ticket_ids": [order["tickets"][1]["id"]]})
    assert refunded.status_code == 200 and refunded.json()["refund"] == "40.00", refunded.text
    assert wait_for_refunds(order["id"]) == [(4000, "succeeded")]

    sign_in_as(page, owner["token"])
    page.goto("/orgs")
    page.locator("#finance-link").click()
    expect(page.locator("#finance-title")).to_be_visible(timeout=30_000)

    # 80.00 paid, Stripe's fee 1.5% + 0.25 = 1.45, 40.00 refunded.
    expect(page.locator("#tb-balanced")).to_have_text("debits = credits")
    expect(page.locator("#trial-balance")).to_contain_text("€121.45")  # 80.00 + 1.45 + 40.00 on each side
    expect(page.locator("#bal-stripe")).to_contain_text("€38.55")
    expect(page.locator("#pnl-gross")).to_contain_text("€80.00")
    expect(page.locator("#pnl-refunds")).to_contain_text("−€40.00")
    expect(page.locator("#pnl-fees")).to_contain_text("−€1.45")
    expect(page.locator("#pnl-net")).to_contain_text("€38.55")
    snapshot(page, f"finance-{viewport}")

    with page.expect_download() as download:
        page.locator("#ledger-csv").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert download.value.suggested_filename.startswith("ledger-")
    assert sorted((r["kind"], r["account"], r["debit"], r["credit"]) for r in rows) == [
        ("payment", "stripe_balance", "80.00", ""), ("payment", "ticket_revenue", "", "80.00"),
        ("refund", "refunds", "40.00", ""), ("refund", "stripe_balance", "", "40.00"),
        ("stripe_fee", "stripe_balance", "", "1.45"), ("stripe_fee", "stripe_fees", "1.45", "")]
    assert all(r["reference"].split(":")[0] in ("payment", "refund") and r["date"] for r in rows)

    expect(page.locator("#recon-schedule")).to_contain_text("every day at 03:30 UTC")
    page.locator("#run-reconciliation").click()
    expect(page.locator("#recon-summary")).to_contain_text("2 Stripe movements match, 0 differences",
                                                           timeout=20_000)
    snapshot(page, f"finance-reconciled-{viewport}")
