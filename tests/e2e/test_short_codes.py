"""Journey: a guest reads the short code under their QR on My tickets; at the door the steward
types it (any case, with a space) and the guest is admitted, online and offline; a guest found
by a search once admitted shows "Checked in" instead of a button."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.checkin_helpers import LiveEvent, buy_live, make_live_event
from tests.e2e.conftest import VIEWPORTS, sign_in_as, snapshot
from tests.e2e.test_door_journey import PASSWORD, answer, dismiss, open_scanner, sign_in, type_code
from tests.pdf_text import pdf_pages
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.door.short_codes import display

pytestmark = pytest.mark.e2e


@pytest.fixture
def live() -> tuple[LiveEvent, str]:
    steward = f"door-{uuid.uuid4().hex[:8]}@example.com"
    return make_live_event(steward_email=steward, steward_password=PASSWORD), steward


def test_the_code_under_the_qr_is_typed_at_the_door(page: Page, viewport: str, browser: Browser, app_url: str,
                                                     live):
    event, steward = live
    ada, grace = buy_live(event, event.today_only, ["Ada Lovelace", "Grace Hopper"])
    with session_scope() as db:
        buyer = db.get(User, event.buyer)
        token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
    sign_in_as(page, token)
    page.goto("/tickets")
    codes = page.locator(".ticket-card .ticket-short-code")
    expect(codes).to_have_text([display(ada.short_code), display(grace.short_code)])
    expect(codes.first).to_have_text(re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$"))
    snapshot(page, f"short-codes-my-tickets-{viewport}")
    # The ticket file: a PDF page per ticket with its holder and the same short code.
    with page.expect_download() as download:
        page.locator(".pdf-button").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    pages = pdf_pages(Path(download.value.path()).read_bytes())
    assert [display(ada.short_code) in pages[0], display(grace.short_code) in pages[1]] == [True, True]
    assert "Ada Lovelace" in pages[0] and "Grace Hopper" in pages[1]

    door = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url, is_mobile=viewport == "phone",
                               has_touch=viewport == "phone")
    gate = door.new_page()
    try:
        sign_in(gate, steward)
        open_scanner(gate, event)
        type_code(gate, display(ada.short_code).lower().replace("-", " "))
        expect(answer(gate, "admitted")).to_contain_text("Ada Lovelace")
        snapshot(gate, f"short-codes-door-admitted-{viewport}")
        dismiss(gate)
        # Searching for a guest already admitted shows "Checked in", not a button that can only refuse.
        gate.locator("#door-tab-search").click()
        gate.locator("#door-search").fill("lovelace")
        row = gate.locator("#door-search-results li", has_text="Ada Lovelace")
        expect(row.locator("[data-checked-in]")).to_have_text("✓ Checked in")
        expect(row.get_by_role("button")).to_have_count(0)
        gate.locator("#door-search").fill("hopper")
        expect(gate.locator("#door-search-results li", has_text="Grace Hopper").get_by_role("button")).to_have_text(
            "Check in")

        door.set_offline(True)
        expect(gate.locator("#door-scanner")).to_have_attribute("data-online", "false")
        type_code(gate, grace.short_code)
        expect(answer(gate, "admitted")).to_contain_text("Offline — decided on this phone")
        dismiss(gate)
        type_code(gate, display(grace.short_code))
        answer(gate, "already_checked_in")
        dismiss(gate)
    finally:
        door.close()
