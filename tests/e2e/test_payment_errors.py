"""Journey: paying goes wrong the way people make it go wrong. A card number with spaces is
accepted; a wrong number gets a sentence a person can act on (never "Bad request") and the
tickets stay reserved; both pages say plainly which clock applies."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.buying import customer_with_shop, fill_card, orders_of, reserve
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e


def test_wrong_card_number_then_one_typed_with_spaces(page: Page, viewport: str):
    customer = customer_with_shop(page)
    reserve(page, customer, 1)
    expect(page.locator("#clock-note")).to_contain_text("you have 15 minutes to pay")
    page.locator("#checkout-button").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#clock-note")).to_contain_text("you have 15 minutes from checkout")
    expect(page.locator("#countdown")).to_contain_text("to pay")

    fill_card(page, "1234 5678 9012")
    page.locator("#pay-button").click()
    error = page.locator("#card-error")
    expect(error).to_be_visible(timeout=15_000)
    expect(error).not_to_contain_text("Bad request")
    expect(error).to_contain_text(re.compile(r"card number|declined|could not read|check", re.I))
    snapshot(page, f"payment-error-{viewport}")
    assert [o.status for o in orders_of(customer)] == ["pending"]  # the tickets stay reserved

    fill_card(page, "4242 4242 4242 4242")
    expect(page.locator("#pay-button")).to_be_enabled()
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    assert [o.status for o in orders_of(customer)] == ["confirmed"]
