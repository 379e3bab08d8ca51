"""The broker demo loads, and a newcomer sees profit figures that equal its recorded sales."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from tests.builders import make_buyers
from ticketing.db import session_scope
from ticketing.demo_broker import AGENCY_SLUG, demo_agency
from ticketing.models import Organization, PurchaseOrder, Supplier, TicketSale
from ticketing.models.base import utcnow
from ticketing.services.broker import analytics


def test_the_demo_agency_has_suppliers_orders_sales_and_profit():
    with session_scope() as db:
        agent, customer = make_buyers(db, 2)
        demo_agency(db, agent=agent, customer=customer, start=utcnow() + timedelta(days=20), tz="Europe/Berlin")
    with session_scope(readonly=True) as db:
        org = db.exec(select(Organization).where(Organization.slug == AGENCY_SLUG)).one()
        assert len(db.exec(select(Supplier).where(Supplier.organization_id == org.id)).all()) == 2
        assert sorted(db.exec(select(PurchaseOrder.status)).all()) == ["confirmed"] * 3
        rows = analytics.profit(db=db, user_id=agent.id, organization_id=org.id, now=utcnow())
        recorded = db.exec(select(func.sum(TicketSale.margin_minor), func.count())).one()
    assert [r.label for r in rows] == ["Harbour Lights — Open Air", "The Tempest — Riverside Theatre"]
    assert (sum(r.profit for r in rows), sum(r.sold for r in rows)) == recorded == (16196, 12)
