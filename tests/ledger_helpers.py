"""Reading the ledger in tests: entries with their lines, per-entry balance, account totals."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

from sqlmodel import select

from ticketing.db import session_scope
from ticketing.models import Event, LedgerEntry, LedgerLine, Membership


def org_of(event_id: uuid.UUID) -> uuid.UUID:
    with session_scope(readonly=True) as db:
        return db.get(Event, event_id).organization_id


def owner_of(org_id: uuid.UUID) -> uuid.UUID:
    with session_scope(readonly=True) as db:
        return db.exec(select(Membership.user_id).where(Membership.organization_id == org_id,
                                                        Membership.role == "owner")).first()


def entries(org_id: uuid.UUID | None = None) -> list[tuple[LedgerEntry, list[LedgerLine]]]:
    with session_scope(readonly=True) as db:
        query = select(LedgerEntry).order_by(LedgerEntry.at, LedgerEntry.created_at)
        if org_id is not None:
            query = query.where(LedgerEntry.organization_id == org_id)
        rows = db.exec(query).all()
        return [(e, list(db.exec(select(LedgerLine).where(LedgerLine.entry_id == e.id)).all())) for e in rows]


def kinds(org_id: uuid.UUID | None = None) -> Counter:
    return Counter(e.kind for e, _ in entries(org_id))


def account_net(org_id: uuid.UUID | None = None) -> dict[str, int]:
    """debit - credit per account (one currency in these tests)."""
    out: dict[str, int] = defaultdict(int)
    for _e, lines in entries(org_id):
        for x in lines:
            out[x.account] += x.debit_minor - x.credit_minor
    return out


def assert_books_balance(org_id: uuid.UUID | None = None) -> None:
    """Every entry balances per currency, and so the whole ledger does."""
    for e, lines in entries(org_id):
        per_currency: dict[str, int] = defaultdict(int)
        for x in lines:
            per_currency[x.currency] += x.debit_minor - x.credit_minor
        assert lines and not any(per_currency.values()), (e.kind, e.source_id, per_currency)
    assert sum(account_net(org_id).values()) == 0
