"""The reconciliation job: Stripe's balance transactions for a period, read through the SDK,
compared with each organization's ledger (services/ledger/reconciliation.py), the result kept.

The job queue runs it every day for the day before (jobs/tasks.py `reconcile_books`; on SQLite
the app's background loop). Run it by hand for past days (`python -m ticketing.payments.reconcile
--days N`), or for any period from the console or `POST /orgs/{org_id}/ledger/reconciliations`.
"""

from __future__ import annotations

import argparse
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from sqlmodel import select

from ticketing.db import session_scope
from ticketing.models import LedgerEntry, Reconciliation
from ticketing.models.base import utcnow
from ticketing.payments.stripe_api import _id, _plain, client, unavailable
from ticketing.services.ledger import reconciliation
from ticketing.services.ledger.reconciliation import StripeTxn
from ticketing.services.ledger.reports import require_finance

log = logging.getLogger(__name__)
# Stripe's clock and ours differ a little: fetch a wider window, match by id.
MARGIN = timedelta(hours=6)


def _txn(raw: dict[str, Any]) -> StripeTxn:
    source = raw.get("source")
    intent, org = None, None
    if isinstance(source, dict):
        intent = _id(source.get("payment_intent"))
        if raw.get("type") == "payout":
            org = (source.get("metadata") or {}).get("organization_id")
    return StripeTxn(id=raw["id"], type=str(raw.get("type")), net=int(raw["net"]),
                     currency=str(raw["currency"]).upper(),
                     created=datetime.fromtimestamp(int(raw["created"]), tz=UTC),
                     payment_intent=intent, organization_id=org)


def fetch_balance_transactions(date_from: datetime, date_to: datetime) -> list[StripeTxn]:
    """Every balance transaction Stripe recorded around [from, to), with its source expanded
    (whose money it is)."""
    params = {"created": {"gte": int((date_from - MARGIN).timestamp()), "lt": int((date_to + MARGIN).timestamp())},
              "limit": 100, "expand": ["data.source"]}
    try:
        page = client().v1.balance_transactions.list(params=params)
        return [_txn(_plain(t)) for t in page.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise unavailable(exc) from exc


def reconcile(*, organization_id: uuid.UUID, date_from: datetime, date_to: datetime,
              user_id: uuid.UUID | None = None, txns: list[StripeTxn] | None = None) -> Reconciliation:
    """Compare one organization's books with Stripe for the period and keep the result. With a
    `user_id`, only an owner or organizer of the organization may run it."""
    if user_id is not None:
        with session_scope(readonly=True) as db:
            require_finance(db, user_id=user_id, organization_id=organization_id)
    txns = fetch_balance_transactions(date_from, date_to) if txns is None else txns
    with session_scope() as db:
        return reconciliation.record(db=db, organization_id=organization_id, date_from=date_from, date_to=date_to,
                                     stripe_txns=txns, now=utcnow())


def reconcile_all(date_from: datetime, date_to: datetime) -> list[Reconciliation]:
    """The job: every organization with books, one Stripe listing for all."""
    with session_scope(readonly=True) as db:
        orgs = sorted(set(db.exec(select(LedgerEntry.organization_id).distinct()).all()))
    txns = fetch_balance_transactions(date_from, date_to)
    done = [reconcile(organization_id=org, date_from=date_from, date_to=date_to, txns=txns) for org in orgs]
    for row in done:
        if row.differences:
            log.warning("reconciliation of %s: %d differences", row.organization_id, len(row.differences))
    return done


def reconcile_past_days(days: int = 1, now: datetime | None = None) -> list[Reconciliation]:
    """The whole UTC days before today (the daily job: yesterday), for every organization."""
    today = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    return reconcile_all(today - timedelta(days=days), today)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=1, help="how many whole UTC days before today")
    args = parser.parse_args()
    for row in reconcile_past_days(args.days):
        print(f"{row.organization_id}: {row.matched} matched, {len(row.differences)} differences")


if __name__ == "__main__":
    main()
