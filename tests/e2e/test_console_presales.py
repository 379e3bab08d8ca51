"""Journey: an organizer creates a presale of two of the event's three ticket types in the
console's Presales tab, gives it a typed and generated access codes, sees a customer's use of a
code appear live, and ends the presale."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import event_on_sale, open_console, organizer, sign_in_as

pytestmark = pytest.mark.e2e


def test_create_a_presale_add_codes_watch_uses_and_end_it(page: Page, viewport: str, api, app_url: str):
    owner = organizer(api)
    event_id, session_id, ticket_id = event_on_sale(
        api, owner, title="Fan Night", session_name="Evening", days_ahead=12, hours=3, capacity=40,
        type_name="Standard", price="30.00")
    types = {"Standard": ticket_id}
    for name, price in (("Balcony", "40.00"), ("Family", "20.00")):
        types[name] = api.post(f"/events/{event_id}/ticket-types", token=owner["token"], json={
            "name": name, "price": price, "currency": "EUR", "session_ids": [session_id]}).json()["id"]
    sign_in_as(page, owner["token"])
    open_console(page, event_id, "presales")
    expect(page.get_by_text("No presales yet.")).to_be_visible()

    # The form's times are the event's local times: an hour ago until tomorrow.
    now = datetime.now(ZoneInfo("Europe/Berlin"))
    page.locator("#presale-name").fill("Fan club")
    page.locator("#presale-starts").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#presale-ends").fill((now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#presale-quota").fill("20")
    # The reserved ticket types: checkboxes named by the types, in a group of their own.
    reserved = page.get_by_role("group", name="Reserved tickets")
    expect(reserved.get_by_role("checkbox")).to_have_count(3)
    reserved.get_by_role("checkbox", name="Standard").click()
    reserved.get_by_role("checkbox", name="Balcony").check()
    expect(reserved.get_by_role("checkbox", name="Family")).not_to_be_checked()
    assert_accessible(page, "the Presales tab with its form filled in")
    page.locator("#presale-create").click()
    card = page.locator(".presale", has_text="Fan club")
    expect(card.locator(".presale-status")).to_have_text("On now")
    expect(card.locator(".presale-sold")).to_have_text("0 / 20")
    expect(card).to_contain_text("Reserved: Standard, Balcony")
    expect(reserved.get_by_role("checkbox", name="Standard")).not_to_be_checked()  # the form is reset
    closed = {t["id"]: t["reason"] for t in api.get(f"/events/{event_id}/availability").json()["ticket_types"]}
    assert closed == {types["Standard"]: "presale_only", types["Balcony"]: "presale_only", types["Family"]: None}

    card.locator("input[name='codes']").fill("FANS-1")
    card.locator("input[name='count']").fill("2")
    card.locator("input[name='max_uses']").fill("3")
    card.locator(".presale-codes-add").click()
    expect(card.locator(".presale-code")).to_have_count(3)
    expect(card.locator("tr", has_text="FANS-1").locator(".presale-code-uses")).to_have_text("0 / 3")

    # Without a code the tickets are closed; a customer buys with one through the running app
    # (whose workers publish the live delta): the tab's figures follow.
    buyer = api.register(name="Casey")
    hold = {"items": [{"ticket_type_id": ticket_id, "quantity": 2}]}
    r = httpx.post(f"{app_url}/api/v1/events/{event_id}/holds", timeout=15, json=hold,
                   headers={"Authorization": f"Bearer {buyer['token']}"})
    assert r.status_code == 422 and r.json()["code"] == "access_code_required", r.text
    r = httpx.post(f"{app_url}/api/v1/events/{event_id}/holds", timeout=15, json={**hold, "access_code": "fans-1"},
                   headers={"Authorization": f"Bearer {buyer['token']}"})
    assert r.status_code == 201, r.text
    expect(card.locator("tr", has_text="FANS-1").locator(".presale-code-uses")).to_have_text("1 / 3", timeout=15_000)
    expect(card.locator(".presale-sold")).to_have_text("2 / 20")
    snapshot(page, f"console-presales-{viewport}")

    card.locator(".presale-end").click()
    expect(card.locator(".presale-status")).to_have_text("Over")
    reasons = {t["reason"] for t in api.get(f"/events/{event_id}/availability").json()["ticket_types"]}
    assert "presale_only" not in reasons  # released: on general sale
