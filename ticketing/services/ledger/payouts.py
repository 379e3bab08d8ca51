"""Stripe payouts into the organization's bank account, as their webhooks announce them.

Stripe pays out of one platform balance; which organization a payout belongs to is said by the
payout's `metadata.organization_id` (set by whoever creates it: our payout job, the Stripe
dashboard, or Connect). A payout without it is left out of the books and reported as such.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ticketing.models import Organization
from ticketing.models.ledger import EntryKind
from ticketing.services.ledger.journal import find_entry, reverse_entry
from ticketing.services.ledger.postings import post_payout


@dataclass(frozen=True)
class PayoutFacts:
    """What Stripe says about a payout (re-fetched, never read from a webhook payload)."""

    id: str
    status: str  # pending | in_transit | paid | failed | canceled
    amount: int
    currency: str
    organization_id: str | None
    balance_txn: str | None


def _organization(db: Session, raw: str | None) -> uuid.UUID | None:
    try:
        org_id = uuid.UUID(str(raw))
    except ValueError:
        return None
    return org_id if db.get(Organization, org_id) is not None else None


def record_payout(*, db: Session, payout: PayoutFacts, now: datetime, cause: str) -> str:
    """Post a paid payout once (Dr bank, Cr stripe_balance); a payout that failed after being
    posted is reversed. Returns what it did."""
    org_id = _organization(db, payout.organization_id)
    if org_id is None:
        return "payout_unassigned"
    if payout.status == "paid":
        posted = post_payout(db=db, organization_id=org_id, payout_id=payout.id, amount=payout.amount,
                             currency=payout.currency.upper(), stripe_ref=payout.balance_txn, at=now, cause=cause)
        return "payout_posted" if posted else "payout_already_posted"
    if payout.status == "failed":
        entry = find_entry(db, kind=EntryKind.payout.value, source_type="payout", source_id=payout.id)
        if entry is not None and reverse_entry(db=db, entry_id=entry.id, cause=cause, at=now,
                                               memo=f"Stripe payout {payout.id} failed: money back in the balance"):
            return "payout_reversed"
    return "payout_ignored"
