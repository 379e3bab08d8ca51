"""Journey (broker console forms), on desktop and phone: an agency user edits a supplier, changes a
draft purchase order's line, is told (and loses nothing) when someone else changed the order
meanwhile, confirms it, records a partial delivery, gives unsold places back, and sets a markup
on the places whose final price the server previews before saving."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.broker_builders import draft, make_broker_event
from tests.builders import in_tx
from tests.e2e.conftest import sign_in_as, snapshot
from ticketing.db import session_scope
from ticketing.models import PurchaseOrder, PurchaseOrderLine, Supplier, TicketType, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.broker import purchase_orders

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop() -> dict:
    """A broker show with suppliers Venue and Promoter and a draft for 10 standing places at 10.00."""
    with session_scope() as db:
        se = make_broker_event(db)
        owner = db.get(User, se.owner_id)
        token = issue_token(user_id=owner.id, token_version=owner.token_version, now=utcnow())
    po_id = draft(se, quantity=10, ga_cost="10.00")
    return {"se": se, "token": token, "po_id": po_id}


def choose_option(page: Page, trigger: str, name: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=name).click()


def test_agency_edits_a_supplier_and_a_purchase_order_receives_returns_and_prices(page: Page, viewport: str,
                                                                                 shop: dict):
    se, po_id = shop["se"], shop["po_id"]
    sign_in_as(page, shop["token"])

    # 1. The supplier's details change through the edit form.
    page.goto("/manage/broker/suppliers")
    page.locator("#suppliers tr", has_text="Venue").locator(".supplier-edit").click()
    expect(page.locator("#supplier-form-title")).to_have_text("Edit Venue")
    page.locator("#field-email").fill("box@venue.test")
    page.locator("#field-credit_limit").fill("5000.00")
    page.locator("#add-supplier").click()
    expect(page.locator("#broker-message")).to_contain_text("Venue saved")
    expect(page.locator("#suppliers tr", has_text="Venue")).to_contain_text("€5000.00")
    snapshot(page, f"broker-supplier-edit-{viewport}")
    with session_scope(readonly=True) as db:
        venue = db.get(Supplier, se.extra["suppliers"]["Venue"])
        assert (venue.email, venue.credit_limit_minor) == ("box@venue.test", 500000)

    # 2. The draft's line: 12 places at 11.00 instead of 10 at 10.00.
    page.goto("/manage/broker/orders")
    page.locator(".po-open", has_text="PO-0001").click()
    expect(page.locator("#po-status")).to_have_text("draft")
    page.locator(".line-quantity input").fill("12")
    page.locator(".line-cost input").fill("11.00")
    page.locator("#po-save").click()
    expect(page.locator("#broker-message")).to_contain_text("PO-0001 saved")
    with session_scope(readonly=True) as db:
        po = db.get(PurchaseOrder, po_id)
        assert po.total_cost_minor == 12 * 1100

    # 3. Someone else changes the order meanwhile: this tab's save is refused, said, not applied.
    in_tx(purchase_orders.update_purchase_order, user_id=se.owner_id, po_id=po_id, version=po.version,
          notes="Agreed by phone", now=utcnow())
    page.locator("#field-notes").fill("Mine")
    page.locator("#po-save").click()
    expect(page.locator("#po-conflict")).to_be_visible()
    snapshot(page, f"broker-po-conflict-{viewport}")
    page.locator("#po-reload").click()
    expect(page.locator("#po-conflict")).to_have_count(0)
    expect(page.locator("#field-notes")).to_have_value("Agreed by phone")

    # 4. Confirmed, 5 of 12 delivered, 2 unsold places given back.
    page.locator("#po-confirm").click()
    expect(page.locator("#po-status")).to_have_text("confirmed")
    page.locator(".line-receive input").fill("5")
    page.locator("#po-receive-submit").click()
    expect(page.locator("#po-status")).to_have_text("partially received")
    choose_option(page, "#field-return_type", "Standing")
    page.locator("#field-return_quantity").fill("2")
    page.locator("#po-return-submit").click()
    expect(page.locator("#broker-message")).to_contain_text("returned 2 place(s)")
    snapshot(page, f"broker-po-detail-{viewport}")
    with session_scope(readonly=True) as db:
        line = db.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id)).one()
        assert (line.quantity, line.received_quantity, line.returned_quantity) == (12, 5, 2)
        assert db.get(TicketType, se.extra["ga_type"]).max_quantity == 10

    # 5. A 50 % markup on the places, rounded up to .99: previewed by the server, then applied.
    page.goto("/manage/broker/pricing")
    page.locator("#retail-prices tr", has_text="Standing").locator(".pricing-choose").click()
    expect(page.locator("#pricing-form-title")).to_have_text("Price of Standing")
    page.locator("#field-amount").fill("50")
    expect(page.locator("#pricing-preview")).to_have_text("Customers will pay €16.50")  # 11.00 + 50 %
    choose_option(page, "#field-rounding", "Up to .99")
    expect(page.locator("#pricing-preview")).to_have_text("Customers will pay €16.99")
    page.locator("#pricing-save").click()
    expect(page.locator("#broker-message")).to_contain_text("Standing: customers now pay €16.99")
    expect(page.locator("#retail-prices tr", has_text="Standing")).to_contain_text("Cost + 50 %")
    snapshot(page, f"broker-pricing-{viewport}")
    with session_scope(readonly=True) as db:
        assert db.get(TicketType, se.extra["ga_type"]).price_minor == 1699
