"""What broker mode posts: stock bought on a confirmed purchase order (inventory owed to the
supplier), its cost moved to cost of tickets when tickets sell and back when they are cancelled,
returns and cancelled orders no longer owed, supplier payments out of the bank. After every
step the books agree with the broker's own records (stock left at cost, what is owed, the cost
of valid tickets sold) and every entry balances. The backfill of migration 0021_ledger_broker
posts the same books for records made before broker mode posted."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.broker_builders import bought, make_broker_event, sell
from tests.builders import T0, in_tx, load
from tests.ledger_helpers import account_net, assert_books_balance, entries, kinds
from ticketing.db import get_engine, session_scope
from ticketing.models import PurchaseOrder, Ticket, TicketSale
from ticketing.services.broker import inventory, supplier_payments
from ticketing.services.broker.supplier_payments import owed_minor
from ticketing.services.ledger import reports
from ticketing.services.sales import cancellation, orders

MIN = timedelta(minutes=1)
MIGRATION = os.path.join(os.path.dirname(__file__), "..", "..", "alembic", "versions", "0021_ledger_broker.py")


@pytest.fixture
def se():
    with session_scope() as db:
        return make_broker_event(db)


def _valid_cost() -> int:
    """The recorded cost of every ticket sold and not cancelled."""
    with session_scope(readonly=True) as db:
        return int(db.exec(select(func.coalesce(func.sum(TicketSale.unit_cost_minor), 0))
                           .join(Ticket, Ticket.id == TicketSale.ticket_id)
                           .where(Ticket.status == "valid")).one())


def _check_books(se, *, stock: int, po_ids) -> None:
    """The ledger says what the broker's records say."""
    net = account_net(se.org_id)
    assert net.get("inventory", 0) == stock
    owed = [owed_minor(o) for o in (load(PurchaseOrder, po) for po in po_ids) if o.status != "cancelled"]
    assert -net.get("supplier_payable", 0) == sum(owed)
    assert net.get("cost_of_tickets", 0) == _valid_cost()
    assert_books_balance(se.org_id)


def _trade(se, check=lambda stock, po_ids: None) -> list:
    """A broker's history: stock bought, sold, a ticket cancelled, returns, a payment, an order
    cancelled; `check(stock, po_ids)` after each step, with the stock left at cost."""
    owner, (a, b, *_) = se.owner_id, se.extra["buyers"]
    po = bought(se, seats=[0, 1, 2], cost="30.00", quantity=5, ga_cost="10.00")
    in_tx(inventory.confirm_purchase_order, user_id=owner, po_id=po, now=T0)  # idempotent: posts nothing more
    check(14000, [po])
    sell(se, a, seats=[0])  # a seat that cost 30.00
    ga = sell(se, b, quantity=2, now=T0 + MIN)  # two places at 10.00
    check(14000 - 3000 - 2000, [po])
    with session_scope() as db:  # the organizer cancels one place: it is back in stock
        first = orders.order_tickets(db=db, order_id=ga.id)[0].id
        cancellation.cancel_order(db=db, order_id=ga.id, user_id=owner, ticket_ids=[first], now=T0 + 2 * MIN,
                                  by_organizer=True)
    check(14000 - 3000 - 1000, [po])
    in_tx(inventory.return_inventory, user_id=owner, po_id=po, seat_ids=se.ids(2), now=T0 + 3 * MIN)
    in_tx(inventory.return_inventory, user_id=owner, po_id=po, quantity=1, now=T0 + 3 * MIN)  # two returns
    in_tx(supplier_payments.pay_supplier, user_id=owner, po_id=po, amount="50.00", now=T0 + 4 * MIN)
    check(3000 + 3 * 1000, [po])  # seat 1, and 5 - 1 returned - 1 sold places
    other = bought(se, supplier="Promoter", seats=[3, 4], cost="25.00")
    in_tx(inventory.cancel_purchase_order, user_id=owner, po_id=other, now=T0 + 5 * MIN)
    in_tx(inventory.cancel_purchase_order, user_id=owner, po_id=other, now=T0 + 5 * MIN)  # idempotent
    check(6000, [po, other])
    return [po, other]


def test_stock_sales_cancellations_returns_and_payments_post_and_agree_with_the_records(se):
    _trade(se, check=lambda stock, po_ids: _check_books(se, stock=stock, po_ids=po_ids))
    assert account_net(se.org_id)["bank"] == -5000
    assert kinds(se.org_id) == {"purchase_order": 8, "supplier_payment": 1}
    sources = sorted(e.source_type for e, _ in entries(se.org_id))
    assert sources == ["purchase_order", "purchase_order", "purchase_order_cancel", "purchase_order_return",
                       "purchase_order_return", "supplier_payment", "ticket_return", "ticket_sale", "ticket_sale"]
    summary = in_tx(reports.event_summary, user_id=se.owner_id, organization_id=se.org_id, event_id=se.event_id)
    assert summary.cost_of_tickets == 3000 + 1000  # the seat and the place still sold


def test_the_backfill_posts_what_broker_mode_would_have_for_records_made_before(se):
    po_ids = _trade(se)
    live = dict(account_net(se.org_id))
    spec = importlib.util.spec_from_file_location("ledger_broker", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with get_engine().begin() as conn:
        conn.exec_driver_sql("TRUNCATE ledger_lines, ledger_entries")  # the books before broker mode posted
        migration.backfill(conn)
        migration.backfill(conn)  # run again: nothing is posted twice
    assert dict(account_net(se.org_id)) == live
    assert {e.cause for e, _ in entries(se.org_id)} == {"backfill"}
    assert kinds(se.org_id) == {"purchase_order": 7, "supplier_payment": 1}  # the two returns as one
    _check_books(se, stock=6000, po_ids=po_ids)
