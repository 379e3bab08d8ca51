"""The journal's rules, enforced by the database itself on PostgreSQL and on SQLite: an entry
balances per currency (checked at commit / on the entry's insert), has lines, takes no line once
posted, and is never updated or deleted; corrections are reversals; nothing is posted twice. And
the backfill of migration 0016_ledger posts the payments and refunds that existed before."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from alembic.config import Config
from sqlalchemy import MetaData, Table, text
from sqlalchemy.exc import DatabaseError

from alembic import command
from tests.builders import T0, make_buyers, make_session, make_ticket_type
from tests.conftest import migrate
from tests.factories import make_org
from tests.ledger_helpers import account_net, assert_books_balance
from ticketing.db import get_engine, session_scope
from ticketing.models import Event, LedgerEntry, LedgerLine, Order, OrderItem, Payment, Refund
from ticketing.services.errors import ServiceError
from ticketing.services.ledger.journal import credit, debit, post_entry, reverse_entry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def new_org(url: str | None = None) -> uuid.UUID:
    with session_scope(url=url) as db:
        return make_org(db, owner=make_buyers(db, 1)[0], now=T0).id


def raw_entry(conn, org: uuid.UUID, lines: list[tuple[str, int, int]], currency: str = "EUR") -> uuid.UUID:
    """Lines then entry, as plain SQL (what the database must refuse when wrong)."""
    entry_id = uuid.uuid4()
    dialect = conn.dialect.name
    ident = (lambda u: u.hex) if dialect == "sqlite" else str
    for account, d, c in lines:
        conn.execute(text("INSERT INTO ledger_lines (id, entry_id, organization_id, account, currency, debit_minor, "
                          "credit_minor, at) VALUES (:id, :e, :o, :a, :cur, :d, :c, :at)"),
                     {"id": ident(uuid.uuid4()), "e": ident(entry_id), "o": ident(org), "a": account, "cur": currency,
                      "d": d, "c": c, "at": T0.replace(tzinfo=None) if dialect == "sqlite" else T0})
    conn.execute(text("INSERT INTO ledger_entries (id, organization_id, kind, memo, source_type, source_id, cause, at, "
                      "created_at) VALUES (:id, :o, 'payment', '', 'test', :s, 'test', :at, :at)"),
                 {"id": ident(entry_id), "o": ident(org), "s": str(uuid.uuid4()),
                  "at": T0.replace(tzinfo=None) if dialect == "sqlite" else T0})
    return entry_id


def refused(url: str | None, work) -> str:
    """Run `work(conn)` in one transaction; the database's refusal message."""
    with pytest.raises(DatabaseError) as exc, get_engine(url).connect() as conn:
        with conn.begin():
            work(conn)
    return str(exc.value.orig)


def check_database_rules(url: str | None) -> None:
    org = new_org(url)
    assert "does not balance" in refused(url, lambda c: raw_entry(c, org, [("stripe_balance", 100, 0),
                                                                           ("ticket_revenue", 0, 90)]))
    no_lines = refused(url, lambda c: raw_entry(c, org, []))
    assert "has no lines" in no_lines or "does not balance" in no_lines  # SQLite's one message says both
    with get_engine(url).connect() as conn, conn.begin():
        ok = raw_entry(conn, org, [("stripe_balance", 100, 0), ("ticket_revenue", 0, 100)])
    key = ok.hex if get_engine(url).dialect.name == "sqlite" else str(ok)
    assert "append-only" in refused(url, lambda c: c.execute(text("UPDATE ledger_lines SET debit_minor = 5")))
    assert "append-only" in refused(url, lambda c: c.execute(text("DELETE FROM ledger_lines")))
    assert "append-only" in refused(url, lambda c: c.execute(text("UPDATE ledger_entries SET memo = 'x'")))
    assert "append-only" in refused(url, lambda c: c.execute(text("DELETE FROM ledger_entries")))
    assert "posted" in refused(url, lambda c: c.execute(text(
        "INSERT INTO ledger_lines (id, entry_id, organization_id, account, currency, debit_minor, credit_minor, at) "
        "SELECT :id, id, organization_id, 'bank', 'EUR', 0, 0, at FROM ledger_entries WHERE id = :e"),
        {"id": uuid.uuid4().hex if get_engine(url).dialect.name == "sqlite" else str(uuid.uuid4()), "e": key}))
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_lines")).scalar() == 2  # only the balanced entry


def test_postgresql_refuses_unbalanced_entries_and_edits():
    check_database_rules(None)


def test_sqlite_refuses_unbalanced_entries_and_edits(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    try:
        check_database_rules(url)
        org = new_org(url)
        with session_scope(url=url) as db:  # the service's own statements pass the triggers
            posted = post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo="", cause="test",
                                source_type="payment", source_id="pi_sqlite", at=T0,
                                lines=[debit("stripe_balance", "EUR", 500), credit("ticket_revenue", "EUR", 500)])
        with session_scope(url=url, readonly=True) as db:
            assert db.get(LedgerEntry, posted).source_id == "pi_sqlite"
    finally:
        get_engine(url).dispose()


def test_post_entry_checks_first_posts_once_and_reverses():
    org = new_org()
    lines = [debit("stripe_balance", "EUR", 1000), credit("ticket_revenue", "EUR", 1000)]
    with session_scope() as db:
        with pytest.raises(ServiceError) as bad:
            post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo="", source_type="payment",
                       source_id="pi_1", cause="test", at=T0,
                       lines=[debit("stripe_balance", "EUR", 1000), credit("ticket_revenue", "USD", 1000)])
        assert bad.value.code == "unbalanced_entry"
        with pytest.raises(ServiceError) as unknown:
            post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo="", source_type="payment",
                       source_id="pi_1", cause="test", at=T0,
                       lines=[debit("cash", "EUR", 1), credit("ticket_revenue", "EUR", 1)])
        assert unknown.value.code == "unknown_account"
        first = post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo="", source_type="payment",
                           source_id="pi_1", cause="test", at=T0, lines=lines)
        assert first is not None
        assert post_entry(db=db, organization_id=org, event_id=None, kind="payment", memo="", source_type="payment",
                          source_id="pi_1", cause="test", at=T0, lines=lines) is None
    with session_scope() as db:
        reversal = reverse_entry(db=db, entry_id=first, cause="test", memo="", at=T0 + timedelta(hours=1))
        assert reverse_entry(db=db, entry_id=first, cause="test", memo="", at=T0) is None  # once
        with pytest.raises(ServiceError) as twice:
            reverse_entry(db=db, entry_id=reversal, cause="test", memo="", at=T0)
        assert twice.value.code == "not_reversible"
    assert all(v == 0 for v in account_net(org).values())
    assert_books_balance(org)


def test_the_backfill_posts_payments_and_refunds_made_before_the_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(os.path.join(ROOT, "alembic.ini"))
    cfg.attributes["database_url"] = url
    # The schema just before the ledger: every table the models write exists, no journal yet.
    from alembic.script import ScriptDirectory

    command.upgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0016_ledger").down_revision)
    try:
        with session_scope(url=url) as db:
            owner, buyer = make_buyers(db, 2)
            # Written with only the columns the old schema has (later migrations add some).
            event = Event(organization_id=make_org(db, owner=owner, now=T0).id, title="Before", status="published",
                          created_at=T0)
            old_events = Table("events", MetaData(), autoload_with=db.connection())
            db.execute(old_events.insert().values({
                c.name: getattr(event, c.name).hex if isinstance(getattr(event, c.name), uuid.UUID)
                else getattr(event, c.name) for c in old_events.columns}))
            s = make_session(db, event=event, name="S", capacity=10, starts_at=T0 + timedelta(days=3))
            t = make_ticket_type(db, event=event, name="T", sessions=[s], price_minor=2000)
            order = Order(number="ORD-1", event_id=event.id, user_id=buyer.id, status="confirmed", currency="EUR",
                          total_minor=3600, created_at=T0)  # 2 x 20.00 with 4.00 off
            db.add(order)
            db.flush()
            db.add(OrderItem(order_id=order.id, ticket_type_id=t.id, quantity=2, unit_price_minor=2000))
            db.add(Payment(id="pi_old", order_id=order.id, amount_minor=3600, currency="EUR", status="succeeded",
                           created_at=T0, updated_at=T0))
            db.add(Payment(id="pi_failed", order_id=order.id, amount_minor=3600, currency="EUR", status="failed",
                           created_at=T0, updated_at=T0))
            db.flush()
            db.add(Refund(order_id=order.id, payment_id="pi_old", amount_minor=1800, currency="EUR",
                          reason="cancellation", status="succeeded", created_at=T0, completed_at=T0))
            db.add(Refund(order_id=order.id, payment_id="pi_old", amount_minor=100, currency="EUR",
                          reason="cancellation", status="failed", created_at=T0))
            org_id = event.organization_id
        command.upgrade(cfg, "head")
        with session_scope(url=url, readonly=True) as db:
            from sqlmodel import select

            got = sorted((e.kind, e.source_id, e.cause) for e in db.exec(select(LedgerEntry)).all())
            net: dict[str, int] = {}
            for x in db.exec(select(LedgerLine).where(LedgerLine.organization_id == org_id)).all():
                net[x.account] = net.get(x.account, 0) + x.debit_minor - x.credit_minor
        assert [(k, c) for k, _s, c in got] == [("payment", "backfill"), ("refund", "backfill")]
        assert net == {"stripe_balance": 3600 - 1800, "ticket_revenue": -4000, "discounts": 400, "refunds": 1800}
    finally:
        get_engine(url).dispose()
