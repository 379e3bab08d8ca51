"""Journey: an organizer creates a promo code in the console's Promo codes tab, generates
single-use codes in bulk, sees a customer's use of a code appear live, and pauses a code."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import event_on_sale, open_console, organizer, sign_in_as

pytestmark = pytest.mark.e2e


def test_create_bulk_watch_uses_and_pause(page: Page, viewport: str, api, app_url: str):
    owner = organizer(api)
    event_id, _session_id, ticket_id = event_on_sale(
        api, owner, title="Spring Gala", session_name="Evening", days_ahead=12, hours=3, capacity=40,
        type_name="Standard", price="30.00")
    sign_in_as(page, owner["token"])
    open_console(page, event_id, "promo-codes")
    expect(page.locator("#promo-table")).to_have_count(0)

    page.locator("#promo-code-field").fill("GALA25")
    page.locator("input[name='value']").first.fill("25")
    page.locator("input[name='max_uses']").fill("10")
    page.locator("#promo-create").click()
    row = page.locator(".promo-row", has_text="GALA25")
    expect(row).to_be_visible()
    expect(row.locator(".promo-uses")).to_have_text("0 / 10")

    page.locator("#bulk-kind").click()
    page.get_by_role("option", name="Free (comp)").click()
    page.locator("input[name='prefix']").fill("vip")
    page.locator("input[name='count']").fill("3")
    with page.expect_download() as download:
        page.locator("#promo-bulk").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert len(lines) == 4 and all(line.startswith("VIP-") for line in lines[1:])
    expect(page.locator(".promo-row", has_text="VIP-")).to_have_count(3)

    # A customer reserves with the code through the running app (whose workers publish the live
    # delta): the tab's figures follow.
    buyer = api.register(name="Casey")
    r = httpx.post(f"{app_url}/api/v1/events/{event_id}/holds", timeout=15,
                   headers={"Authorization": f"Bearer {buyer['token']}"},
                   json={"items": [{"ticket_type_id": ticket_id, "quantity": 2}], "promo_code": "gala25"})
    assert r.status_code == 201 and r.json()["discount"] == "15.00", r.text
    expect(row.locator(".promo-uses")).to_have_text("1 / 10", timeout=15_000)
    snapshot(page, f"console-promo-codes-{viewport}")

    row.locator(".promo-active").click()  # pause
    expect(row.locator(".promo-active")).to_have_attribute("data-state", "unchecked")
    r = api.post(f"/events/{event_id}/holds", token=api.register(name="Dana")["token"],
                 json={"items": [{"ticket_type_id": ticket_id, "quantity": 1}], "promo_code": "GALA25"})
    assert r.status_code == 422 and r.json()["code"] == "code_invalid"
