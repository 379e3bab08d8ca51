"""Broker analytics: profit and margin equal to what the sales recorded, by event, supplier and
price level; sell-through; unsold inventory with its age; supplier payables; the forecast."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select

from tests.broker_builders import bought, make_broker_event, sell
from tests.builders import T0, error_of, in_tx
from ticketing.db import session_scope
from ticketing.models import TicketSale
from ticketing.services.broker import analytics, inventory, outlook, pricing, supplier_payments
from ticketing.services.sales import cancellation, holds

DAY = timedelta(days=1)


@pytest.fixture
def shop():
    """Venue sold us seats 0-3 at 30.00 and 10 standing places at 10.00; Promoter seats 4-5 at
    40.00. Front marked up 50 % on the highest cost; three seats and three places sold."""
    with session_scope() as db:
        se = make_broker_event(db)
    se.extra["po_venue"] = bought(se, seats=[0, 1, 2, 3], cost="30.00", quantity=10, ga_cost="10.00")
    se.extra["po_promoter"] = bought(se, supplier="Promoter", seats=[4, 5], cost="40.00", now=T0 + DAY)
    in_tx(pricing.set_retail_rule, user_id=se.owner_id, event_id=se.event_id, price_level_id=se.levels["Front"],
          markup_percent="50", now=T0)  # 40.00 * 1.5 = 60.00
    a, b, c, d = se.extra["buyers"]
    sell(se, a, seats=[0, 4], now=T0 + 2 * DAY)
    sell(se, b, seats=[1], now=T0 + 3 * DAY)
    sell(se, c, quantity=3, now=T0 + 3 * DAY)
    in_tx(holds.hold_tickets, event_id=se.event_id, user_id=d, items=[(se.extra["ga_type"], 2)], now=T0 + 4 * DAY)
    return se


def rows(se, now=T0 + 4 * DAY, **kw):
    with session_scope(readonly=True) as db:
        return analytics.profit(db=db, user_id=se.owner_id, organization_id=se.org_id, now=now, **kw)


def test_profit_by_event_equals_the_recorded_sales_to_the_cent(shop):
    (r,) = rows(shop)
    with session_scope(readonly=True) as db:
        revenue, cost, margin = db.exec(select(func.sum(TicketSale.retail_minor), func.sum(TicketSale.unit_cost_minor),
                                               func.sum(TicketSale.margin_minor))).one()
    assert (r.revenue, r.cost, r.profit) == (revenue, cost, margin)
    assert (r.revenue, r.cost) == (3 * 6000 + 3 * 2000, 30_00 + 40_00 + 30_00 + 3 * 10_00)
    assert (r.bought, r.returned, r.sold, r.held, r.unsold) == (16, 0, 6, 2, 10)
    assert r.margin == Decimal("45.83")  # 11,000 / 24,000
    assert r.sell_through == Decimal("37.50")  # 6 / 16


def test_profit_by_supplier_and_by_price_level(shop):
    by_supplier = {r.label: r for r in rows(shop, group_by="supplier")}
    venue, promoter = by_supplier["Venue"], by_supplier["Promoter"]
    assert (venue.bought, venue.sold, venue.held, venue.revenue, venue.cost) == (14, 5, 2, 2 * 6000 + 3 * 2000, 9000)
    assert (promoter.bought, promoter.sold, promoter.revenue, promoter.cost, promoter.profit) == (
        2, 1, 6000, 4000, 2000)
    by_level = {r.label: r for r in rows(shop, group_by="price_level")}
    assert set(by_level) == {"Front", "Standing"}
    assert (by_level["Standing"].sold, by_level["Standing"].profit, by_level["Standing"].margin) == (
        3, 3000, Decimal("50.00"))


def test_a_window_bounds_the_sales_and_a_cancelled_ticket_no_longer_counts(shop):
    (r,) = rows(shop, sold_from=T0 + 3 * DAY, sold_to=T0 + 4 * DAY)
    assert (r.sold, r.revenue) == (4, 6000 + 3 * 2000)
    with session_scope(readonly=True) as db:
        order_id = db.exec(select(TicketSale.order_id).where(TicketSale.retail_minor == 2000)).first()
    with session_scope() as db:
        cancellation.cancel_order(db=db, order_id=order_id, user_id=shop.extra["buyers"][2], now=T0 + 4 * DAY)
    (r,) = rows(shop)
    assert (r.sold, r.revenue, r.unsold) == (3, 3 * 6000, 13)


def test_bad_group_or_window_is_refused(shop):
    assert error_of(analytics.profit, user_id=shop.owner_id, organization_id=shop.org_id, now=T0,
                    group_by="colour").code == "invalid_group_by"
    assert error_of(analytics.profit, user_id=shop.owner_id, organization_id=shop.org_id, now=T0,
                    sold_from=T0 + DAY, sold_to=T0).code == "invalid_window"


def test_unsold_inventory_with_its_age(shop):
    with session_scope(readonly=True) as db:
        inv = outlook.unsold_inventory(db=db, user_id=shop.owner_id, organization_id=shop.org_id, now=T0 + 10 * DAY)
    assert [(r.number, r.kind, r.unsold, r.age_days, r.value_minor) for r in inv] == [
        ("PO-0001", "seats", 2, 10, 6000), ("PO-0001", "quantity", 7, 10, 7000), ("PO-0002", "seats", 1, 9, 4000)]


def test_payables_follow_payments_and_returns_and_say_when_due(shop):
    in_tx(supplier_payments.pay_supplier, user_id=shop.owner_id, po_id=shop.extra["po_venue"], amount="100.00",
          now=T0)
    in_tx(inventory.return_inventory, user_id=shop.owner_id, po_id=shop.extra["po_promoter"],
          seat_ids=shop.ids(5), now=T0 + 5 * DAY)
    with session_scope(readonly=True) as db:
        due = outlook.supplier_payables(db=db, user_id=shop.owner_id, organization_id=shop.org_id,
                                        now=T0 + 31 * DAY)
    assert [(r.number, r.owed_minor, r.due_on, r.overdue) for r in due] == [
        ("PO-0001", 22000 - 10000, (T0 + 30 * DAY).date(), True),
        ("PO-0002", 8000 - 4000, (T0 + 31 * DAY).date(), False)]


def test_forecast_from_the_sales_pace(shop):
    # 6 tickets sold since the first sale 2 days ago (a window of whole days, at most 7); the
    # show starts 30 days after T0, 26 days after "now".
    with session_scope(readonly=True) as db:
        (f,) = outlook.revenue_forecast(db=db, user_id=shop.owner_id, organization_id=shop.org_id,
                                        now=T0 + 4 * DAY)
    assert (f.pace_per_day, f.days_left) == (Decimal("3.00"), Decimal("26.0"))
    assert f.available == 8  # 10 unsold, 2 held
    assert f.projected_units == 8  # the pace would sell more than is left
    assert f.forecast_revenue_minor == 24000 + 8 * 4000
