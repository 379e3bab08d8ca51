"""ledger: backfill of broker mode's books (stock bought, returned and sold, supplier payments)

Revision ID: 0021_ledger_broker
Revises: 0020_waitlist
Create Date: 2026-12-07 02:20:00

No schema change. Broker mode posts from now on (services/ledger/broker_postings.py); this posts
what it would have for the purchase orders, supplier payments and ticket sales made before, so
an agency's inventory, payables and cost of tickets balance from the start. Posted with cause
`backfill`, skipping any source already posted; a purchase order's returns are one entry.
"""
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import ticketing.models.base


revision = '0021_ledger_broker'
down_revision = '0020_waitlist'
branch_labels = None
depends_on = None

# Frozen table shapes (not the app's models).
_utc = ticketing.models.base.UtcDateTime(timezone=True)
_entries = sa.table(
    "ledger_entries", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()),
    sa.column("event_id", sa.Uuid()), sa.column("kind", sa.String()), sa.column("memo", sa.String()),
    sa.column("source_type", sa.String()), sa.column("source_id", sa.String()), sa.column("cause", sa.String()),
    sa.column("at", _utc), sa.column("created_at", _utc))
_lines = sa.table(
    "ledger_lines", sa.column("id", sa.Uuid()), sa.column("entry_id", sa.Uuid()),
    sa.column("organization_id", sa.Uuid()), sa.column("account", sa.String()), sa.column("currency", sa.String()),
    sa.column("debit_minor", sa.BigInteger()), sa.column("credit_minor", sa.BigInteger()), sa.column("at", _utc))
_pos = sa.table(
    "purchase_orders", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()),
    sa.column("event_id", sa.Uuid()), sa.column("number", sa.String()), sa.column("currency", sa.String()),
    sa.column("status", sa.String()), sa.column("total_cost_minor", sa.BigInteger()),
    sa.column("returned_cost_minor", sa.BigInteger()), sa.column("approved_at", _utc),
    sa.column("cancelled_at", _utc), sa.column("updated_at", _utc))
_payments = sa.table(
    "supplier_payments", sa.column("id", sa.Uuid()), sa.column("purchase_order_id", sa.Uuid()),
    sa.column("amount_minor", sa.BigInteger()), sa.column("currency", sa.String()), sa.column("paid_at", _utc))
_sales = sa.table(
    "ticket_sales", sa.column("ticket_id", sa.Uuid()), sa.column("order_id", sa.Uuid()),
    sa.column("event_id", sa.Uuid()), sa.column("currency", sa.String()), sa.column("unit_cost_minor", sa.BigInteger()),
    sa.column("sold_at", _utc))
_tickets = sa.table("tickets", sa.column("id", sa.Uuid()), sa.column("status", sa.String()))
_orders = sa.table("orders", sa.column("id", sa.Uuid()), sa.column("number", sa.String()),
                   sa.column("cancelled_at", _utc))
_events = sa.table("events", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()))


def upgrade() -> None:
    backfill(op.get_bind())


def backfill(bind) -> None:
    """Post what broker mode would have posted, for every source not posted yet."""
    posted = {(k, t, s) for k, t, s in bind.execute(
        sa.select(_entries.c.kind, _entries.c.source_type, _entries.c.source_id)).all()}
    entries: list[dict] = []
    lines: list[dict] = []

    def post(org, event, kind, source_type, source_id, memo, at, currency, debit_account, credit_account, amount):
        if amount <= 0 or (kind, source_type, source_id) in posted:
            return
        entry_id = uuid.uuid4()
        entries.append({"id": entry_id, "organization_id": org, "event_id": event, "kind": kind, "memo": memo,
                        "source_type": source_type, "source_id": source_id, "cause": "backfill", "at": at,
                        "created_at": datetime.now(UTC)})
        lines.extend({"id": uuid.uuid4(), "entry_id": entry_id, "organization_id": org, "account": account,
                      "currency": currency, "debit_minor": debit, "credit_minor": credit, "at": at}
                     for account, debit, credit in ((debit_account, amount, 0), (credit_account, 0, amount)))

    bought = bind.execute(sa.select(_pos).where(_pos.c.approved_at.is_not(None))).all()
    for po in bought:  # stock in, owed to the supplier; what went back, no longer owed
        post(po.organization_id, po.event_id, "purchase_order", "purchase_order", str(po.id),
             f"Purchase order {po.number} confirmed (backfill)", po.approved_at, po.currency, "inventory",
             "supplier_payable", po.total_cost_minor)
        post(po.organization_id, po.event_id, "purchase_order", "purchase_order_return", f"{po.id}:backfill",
             f"Inventory of {po.number} returned to the supplier (backfill)", po.updated_at, po.currency,
             "supplier_payable", "inventory", po.returned_cost_minor)
        if po.status == "cancelled":
            post(po.organization_id, po.event_id, "purchase_order", "purchase_order_cancel", str(po.id),
                 f"Purchase order {po.number} cancelled (backfill)", po.cancelled_at or po.updated_at, po.currency,
                 "supplier_payable", "inventory", po.total_cost_minor - po.returned_cost_minor)
    pos = {po.id: po for po in bought}
    for pay in bind.execute(sa.select(_payments).order_by(_payments.c.paid_at)).all():
        po = pos.get(pay.purchase_order_id)
        if po is not None:
            post(po.organization_id, po.event_id, "supplier_payment", "supplier_payment", str(pay.id),
                 f"Payment to the supplier on {po.number} (backfill)", pay.paid_at, pay.currency, "supplier_payable",
                 "bank", pay.amount_minor)

    sold: dict = defaultdict(list)
    for row in bind.execute(
            sa.select(_sales.c.ticket_id, _sales.c.order_id, _sales.c.event_id, _sales.c.currency,
                      _sales.c.unit_cost_minor, _sales.c.sold_at, _tickets.c.status, _orders.c.number,
                      _orders.c.cancelled_at, _events.c.organization_id)
            .join(_tickets, _tickets.c.id == _sales.c.ticket_id).join(_orders, _orders.c.id == _sales.c.order_id)
            .join(_events, _events.c.id == _sales.c.event_id)).all():
        sold[row.order_id].append(row)
    for order_id, rows in sold.items():  # cost of the tickets sold; of those cancelled since, back in stock
        first, back = rows[0], [r for r in rows if r.status == "cancelled"]
        post(first.organization_id, first.event_id, "purchase_order", "ticket_sale", str(order_id),
             f"Cost of {len(rows)} ticket(s) sold on order {first.number} (backfill)",
             min(r.sold_at for r in rows), first.currency, "cost_of_tickets", "inventory",
             sum(r.unit_cost_minor for r in rows))
        if back:
            post(first.organization_id, first.event_id, "purchase_order", "ticket_return",
                 str(min(r.ticket_id for r in back)),
                 f"Cost of {len(back)} cancelled ticket(s) on order {first.number} back in stock (backfill)",
                 first.cancelled_at or max(r.sold_at for r in back), first.currency, "inventory", "cost_of_tickets",
                 sum(r.unit_cost_minor for r in back))

    if entries:  # lines first, then their entries (the database checks each balances)
        bind.execute(sa.insert(_lines), lines)
        bind.execute(sa.insert(_entries), entries)


def downgrade() -> None:
    # The ledger is append-only (the database refuses deletes): the backfilled entries stay.
    pass
