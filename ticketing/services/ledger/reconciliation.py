"""Reconciliation: the ledger's `stripe_balance` movements against Stripe's balance transactions
for a period, one balance transaction at a time (entries carry its id as `stripe_ref`).

Differences: `missing_in_ledger` (Stripe moved money we never posted), `missing_at_stripe` (we
posted a movement Stripe does not know), `amount_differs` (both know it, the nets differ), and
`no_stripe_reference` (a ledger movement that cannot be matched: backfilled or external entries).
Stripe's side is fetched by ticketing/payments/reconcile.py; nothing here calls Stripe.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, LedgerEntry, LedgerLine, Order, Payment, Reconciliation
from ticketing.models.ledger import Account
from ticketing.services.ledger.reports import require_finance


@dataclass(frozen=True)
class StripeTxn:
    """One Stripe balance transaction, with what tells whose money it is."""

    id: str
    type: str
    net: int  # amount - fee, as it moved the Stripe balance
    currency: str
    created: datetime
    payment_intent: str | None = None  # of its charge or refund
    organization_id: str | None = None  # a payout's metadata


@dataclass(frozen=True)
class Difference:
    kind: str  # missing_in_ledger | missing_at_stripe | amount_differs | no_stripe_reference
    stripe_ref: str | None
    currency: str
    ledger_net: int
    stripe_net: int
    detail: str = ""


def _ours(db: Session, organization_id: uuid.UUID, txns: list[StripeTxn]) -> dict[str, StripeTxn]:
    """The organization's transactions among Stripe's (one read for all their PaymentIntents)."""
    intents = sorted({t.payment_intent for t in txns if t.organization_id is None and t.payment_intent})
    mine: set[str] = set()
    for chunk in range(0, len(intents), 500):
        mine |= set(db.exec(select(Payment.id).join(Order, Order.id == Payment.order_id)
                            .join(Event, Event.id == Order.event_id)
                            .where(Payment.id.in_(intents[chunk:chunk + 500]),
                                   Event.organization_id == organization_id)).all())
    return {t.id: t for t in txns
            if (t.organization_id == str(organization_id) if t.organization_id is not None
                else t.payment_intent in mine)}


def _ledger_nets(db: Session, organization_id: uuid.UUID, refs: set[str] | None = None,
                 period: tuple[datetime, datetime] | None = None) -> dict[str | None, dict[str, int]]:
    """Net stripe_balance movement (debit - credit) per Stripe reference and currency."""
    query = (select(LedgerEntry.stripe_ref, LedgerLine.currency,
                    func.sum(LedgerLine.debit_minor - LedgerLine.credit_minor))
             .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
             .where(LedgerLine.organization_id == organization_id, LedgerLine.account == Account.stripe_balance.value)
             .group_by(LedgerEntry.stripe_ref, LedgerLine.currency))
    if refs is not None:
        query = query.where(LedgerEntry.stripe_ref.in_(sorted(refs)))
    if period is not None:
        query = query.where(LedgerEntry.at >= period[0], LedgerEntry.at < period[1])
    out: dict[str | None, dict[str, int]] = defaultdict(dict)
    for ref, currency, net in db.exec(query).all():
        out[ref][currency] = int(net or 0)
    return out


def compare(*, db: Session, organization_id: uuid.UUID, date_from: datetime, date_to: datetime,
            stripe_txns: list[StripeTxn]) -> tuple[int, list[Difference]]:
    """(matched count, differences) for the period [from, to). `stripe_txns` may cover a wider
    window: a movement posted just inside the period and recorded by Stripe just outside it
    still matches."""
    ours = _ours(db, organization_id, stripe_txns)
    in_period = _ledger_nets(db, organization_id, period=(date_from, date_to))
    refs = {r for r in in_period if r is not None}
    refs |= {t.id for t in ours.values() if date_from <= t.created < date_to}
    ledger = _ledger_nets(db, organization_id, refs=refs) if refs else {}
    matched, diffs = 0, []
    for ref in sorted(refs):
        txn, nets = ours.get(ref), ledger.get(ref, {})
        if txn is None:
            for currency, net in sorted(nets.items()):
                diffs.append(Difference("missing_at_stripe", ref, currency, net, 0,
                                        "posted in the ledger, unknown to Stripe"))
            continue
        net = nets.get(txn.currency, 0)
        if not nets:
            diffs.append(Difference("missing_in_ledger", ref, txn.currency, 0, txn.net,
                                    f"Stripe {txn.type} never posted"))
        elif net != txn.net:
            diffs.append(Difference("amount_differs", ref, txn.currency, net, txn.net, f"Stripe {txn.type}"))
        else:
            matched += 1
    for currency, net in sorted(in_period.get(None, {}).items()):
        if net:
            diffs.append(Difference("no_stripe_reference", None, currency, net, 0,
                                    "stripe_balance movements posted without a Stripe balance transaction"))
    return matched, diffs


def record(*, db: Session, organization_id: uuid.UUID, date_from: datetime, date_to: datetime,
           stripe_txns: list[StripeTxn], now: datetime) -> Reconciliation:
    """Compare and keep the result (the organizer sees it and when it ran)."""
    matched, diffs = compare(db=db, organization_id=organization_id, date_from=date_from, date_to=date_to,
                             stripe_txns=stripe_txns)
    row = Reconciliation(organization_id=organization_id, period_from=date_from, period_to=date_to, ran_at=now,
                         matched=matched, differences=[asdict(d) for d in diffs])
    db.add(row)
    db.flush()
    return row


def last_reconciliation(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> Reconciliation | None:
    require_finance(db, user_id=user_id, organization_id=organization_id)
    return db.exec(select(Reconciliation).where(Reconciliation.organization_id == organization_id)
                   .order_by(Reconciliation.ran_at.desc())).first()
