"""What the books say: the trial balance at a date, an event's profit and loss, the entries with
filters, and the CSV an accountant imports (one row per line). Owners and organizers only."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, LedgerEntry, LedgerLine, Role, TicketType
from ticketing.models.ledger import ACCOUNT_NAMES, KIND_NAMES, Account
from ticketing.services.accounts.organizations import require_role
from ticketing.services.errors import invalid, not_found
from ticketing.services.money import format_minor
from ticketing.services.reporting.csv_cells import csv_text

FINANCE_ROLES = (Role.owner, Role.organizer)
# Accounts whose normal balance is a credit (revenue, liabilities, contra-expenses).
CREDIT_ACCOUNTS = {Account.ticket_revenue.value, Account.supplier_payable.value}
MAX_PAGE = 500


def require_finance(db: Session, *, user_id: uuid.UUID, organization_id: uuid.UUID) -> None:
    """Owners and organizers read the books; door staff get 403, strangers 404."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=FINANCE_ROLES)


@dataclass(frozen=True)
class AccountBalance:
    account: str
    currency: str
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        """Debits minus credits (a credit balance is negative)."""
        return self.debit - self.credit


@dataclass
class TrialBalance:
    at: datetime | None
    accounts: list[AccountBalance] = field(default_factory=list)

    def totals(self) -> dict[str, tuple[int, int]]:
        """(debits, credits) per currency: equal in balanced books."""
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.accounts:
            out[row.currency][0] += row.debit
            out[row.currency][1] += row.credit
        return {c: (d, k) for c, (d, k) in sorted(out.items())}


def trial_balance(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID,
                  at: datetime | None = None) -> TrialBalance:
    """Every account's debits and credits up to `at` (inclusive; None: everything)."""
    require_finance(db, user_id=user_id, organization_id=organization_id)
    return balances(db=db, organization_id=organization_id, at=at)


def balances(*, db: Session, organization_id: uuid.UUID, at: datetime | None = None) -> TrialBalance:
    query = (select(LedgerLine.account, LedgerLine.currency, func.sum(LedgerLine.debit_minor),
                    func.sum(LedgerLine.credit_minor))
             .where(LedgerLine.organization_id == organization_id)
             .group_by(LedgerLine.account, LedgerLine.currency))
    if at is not None:
        query = query.where(LedgerLine.at <= at)
    order = {name: i for i, name in enumerate(ACCOUNT_NAMES)}
    rows = sorted(db.exec(query).all(), key=lambda r: (r[1], order[r[0]]))
    return TrialBalance(at, [AccountBalance(a, c, int(d or 0), int(k or 0)) for a, c, d, k in rows])


@dataclass(frozen=True)
class EventSummary:
    """An event's profit and loss from its entries, in minor units of `currency`."""

    event_id: uuid.UUID
    currency: str
    gross: int = 0
    discounts: int = 0
    refunds: int = 0
    fees: int = 0
    cost_of_tickets: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.discounts - self.refunds - self.fees - self.cost_of_tickets


def event_summary(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID,
                  event_id: uuid.UUID) -> EventSummary:
    """gross (ticket revenue), discounts, refunds, fees (net of fees returned), cost of tickets
    and net, as the event's entries add up. 404 for another organization's event."""
    require_finance(db, user_id=user_id, organization_id=organization_id)
    event = db.get(Event, event_id)
    if event is None or event.organization_id != organization_id:
        raise not_found("event")
    rows = db.exec(
        select(LedgerLine.account, LedgerLine.currency, func.sum(LedgerLine.debit_minor),
               func.sum(LedgerLine.credit_minor))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerEntry.organization_id == organization_id, LedgerEntry.event_id == event_id)
        .group_by(LedgerLine.account, LedgerLine.currency)).all()
    net: dict[str, int] = defaultdict(int)
    currency = rows[0][1] if rows else ""
    for account, cur, d, k in rows:
        if cur == currency:  # one currency per event
            net[account] += int(d or 0) - int(k or 0)
    return EventSummary(event_id=event_id, currency=currency or _event_currency(db, event),
                        gross=-net[Account.ticket_revenue.value], discounts=net[Account.discounts.value],
                        refunds=net[Account.refunds.value], fees=net[Account.stripe_fees.value],
                        cost_of_tickets=net[Account.cost_of_tickets.value])


@dataclass(frozen=True)
class EventCash:
    """What the books say an event took: charged (after discounts), refunded, Stripe's fees."""

    paid: int
    refunded: int
    fees: int


def event_cash(db: Session, *, event_id: uuid.UUID) -> EventCash:
    """The event's money as its entries add up, for a caller that checked the role already
    (the console's report). Net of reversals, like every balance."""
    rows = db.exec(
        select(LedgerLine.account, func.sum(LedgerLine.debit_minor - LedgerLine.credit_minor))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerEntry.event_id == event_id).group_by(LedgerLine.account)).all()
    net = defaultdict(int, {account: int(total or 0) for account, total in rows})
    return EventCash(paid=-net[Account.ticket_revenue.value] - net[Account.discounts.value],
                     refunded=net[Account.refunds.value], fees=net[Account.stripe_fees.value])


def _event_currency(db: Session, event: Event) -> str:
    return db.exec(select(TicketType.currency).where(TicketType.event_id == event.id)).first() or "EUR"


@dataclass(frozen=True)
class EntryLineView:
    account: str
    currency: str
    debit: int
    credit: int


@dataclass(frozen=True)
class EntryView:
    id: uuid.UUID
    at: datetime
    kind: str
    memo: str
    source_type: str
    source_id: str
    cause: str
    event_id: uuid.UUID | None
    stripe_ref: str | None
    lines: list[EntryLineView]


def list_entries(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, date_from: datetime | None = None,
                 date_to: datetime | None = None, event_id: uuid.UUID | None = None, kind: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[EntryView]:
    """Entries oldest first, filtered by period [from, to), event and kind; paged."""
    require_finance(db, user_id=user_id, organization_id=organization_id)
    if kind is not None and kind not in KIND_NAMES:
        raise invalid("invalid_kind", f"kind must be one of: {', '.join(KIND_NAMES)}.")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise invalid("invalid_page", f"limit must be 1 to {MAX_PAGE} and offset not negative.")
    if date_from is not None and date_to is not None and date_to < date_from:
        raise invalid("invalid_period", "`to` is before `from`.")
    query = select(LedgerEntry).where(LedgerEntry.organization_id == organization_id)
    if date_from is not None:
        query = query.where(LedgerEntry.at >= date_from)
    if date_to is not None:
        query = query.where(LedgerEntry.at < date_to)
    if event_id is not None:
        query = query.where(LedgerEntry.event_id == event_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    entries = db.exec(query.order_by(LedgerEntry.at, LedgerEntry.created_at, LedgerEntry.id)
                      .offset(offset).limit(limit)).all()
    lines: dict[uuid.UUID, list[EntryLineView]] = defaultdict(list)
    if entries:
        order = {name: i for i, name in enumerate(ACCOUNT_NAMES)}
        found = db.exec(select(LedgerLine).where(LedgerLine.entry_id.in_([e.id for e in entries]))).all()
        for x in sorted(found, key=lambda x: (x.credit_minor > 0, order[x.account])):  # debits first
            lines[x.entry_id].append(EntryLineView(x.account, x.currency, x.debit_minor, x.credit_minor))
    return [EntryView(e.id, e.at, e.kind, e.memo, e.source_type, e.source_id, e.cause, e.event_id, e.stripe_ref,
                      lines[e.id]) for e in entries]


CSV_HEADER = ["date", "entry_id", "reference", "kind", "memo", "account", "debit", "credit", "currency"]


def entries_csv(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, date_from: datetime | None = None,
                date_to: datetime | None = None, event_id: uuid.UUID | None = None, kind: str | None = None) -> str:
    """Every line of the filtered entries as CSV: one row per line, amounts in major units with a
    dot, the entry's source as reference (e.g. `payment:pi_123`)."""
    rows: list[list[str]] = [CSV_HEADER]
    offset = 0
    while True:
        page = list_entries(db=db, user_id=user_id, organization_id=organization_id, date_from=date_from,
                            date_to=date_to, event_id=event_id, kind=kind, limit=MAX_PAGE, offset=offset)
        rows.extend([e.at.isoformat(), str(e.id), f"{e.source_type}:{e.source_id}", e.kind, e.memo,
                     x.account, format_minor(x.debit, x.currency) if x.debit else "",
                     format_minor(x.credit, x.currency) if x.credit else "", x.currency]
                    for e in page for x in e.lines)
        if len(page) < MAX_PAGE:
            return csv_text(rows)  # memos carry people's text: formula-looking cells made inert
        offset += MAX_PAGE
