"""What broker mode posts: stock bought on a confirmed purchase order (inventory owed to the
supplier), its cost moved to cost of tickets when tickets sell and back when they are cancelled,
returns and cancelled orders no longer owed, supplier payments out of the bank. After every
step the books agree with the broker's own records (stock left at cost, what is owed, the cost
of valid tickets sold) and every entry balances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.broker_builders import bought, make_broker_event, sell
from tests.builders import T0, in_tx, load
from tests.ledger_helpers import account_net, assert_books_balance, entries, kinds
from ticketing.db import session_scope
from ticketing.models import PurchaseOrder, Ticket, TicketSale
from ticketing.services.broker import inventory, supplier_payments
from ticketing.services.broker.supplier_payments import owed_minor
from ticketing.services.ledger import reports
from ticketing.services.sales import cancellation, orders

MIN = timedelta(minutes=1)


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


def test_stock_sales_cancellations_returns_and_payments_post_and_agree_with_the_records(se):
    owner, (a, b, *_) = se.owner_id, se.extra["buyers"]
    po = bought(se, seats=[0, 1, 2], cost="30.00", quantity=5, ga_cost="10.00")
    in_tx(inventory.confirm_purchase_order, user_id=owner, po_id=po, now=T0)  # idempotent: posts nothing more
    assert kinds(se.org_id) == {"purchase_order": 1}
    _check_books(se, stock=14000, po_ids=[po])

    sell(se, a, seats=[0])  # a seat that cost 30.00
    ga = sell(se, b, quantity=2, now=T0 + MIN)  # two places at 10.00
    _check_books(se, stock=14000 - 3000 - 2000, po_ids=[po])
    with session_scope() as db:  # the organizer cancels one place: it is back in stock
        first = orders.order_tickets(db=db, order_id=ga.id)[0].id
        cancellation.cancel_order(db=db, order_id=ga.id, user_id=owner, ticket_ids=[first], now=T0 + 2 * MIN,
                                  by_organizer=True)
    _check_books(se, stock=14000 - 3000 - 1000, po_ids=[po])

    in_tx(inventory.return_inventory, user_id=owner, po_id=po, seat_ids=se.ids(2), now=T0 + 3 * MIN)
    in_tx(inventory.return_inventory, user_id=owner, po_id=po, quantity=1, now=T0 + 3 * MIN)  # two returns
    in_tx(supplier_payments.pay_supplier, user_id=owner, po_id=po, amount="50.00", now=T0 + 4 * MIN)
    _check_books(se, stock=3000 + 3 * 1000, po_ids=[po])  # seat 1, and 5 - 1 returned - 1 sold places
    assert account_net(se.org_id)["bank"] == -5000

    other = bought(se, supplier="Promoter", seats=[3, 4], cost="25.00")
    in_tx(inventory.cancel_purchase_order, user_id=owner, po_id=other, now=T0 + 5 * MIN)
    in_tx(inventory.cancel_purchase_order, user_id=owner, po_id=other, now=T0 + 5 * MIN)  # idempotent
    _check_books(se, stock=6000, po_ids=[po, other])
    assert kinds(se.org_id) == {"purchase_order": 8, "supplier_payment": 1}
    sources = sorted(e.source_type for e, _ in entries(se.org_id))
    assert sources == ["purchase_order", "purchase_order", "purchase_order_cancel", "purchase_order_return",
                       "purchase_order_return", "supplier_payment", "ticket_return", "ticket_sale", "ticket_sale"]

    summary = in_tx(reports.event_summary, user_id=owner, organization_id=se.org_id, event_id=se.event_id)
    assert summary.cost_of_tickets == 3000 + 1000  # the seat and the place still sold
