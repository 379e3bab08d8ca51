"""/orgs/{org_id}/ledger: the books of an organization (owner/organizer). Amounts are decimal
strings in major units with their currency, as everywhere in the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ticketing.api.deps import current_user_id
from ticketing.db import session_scope
from ticketing.payments import reconcile
from ticketing.services.errors import invalid
from ticketing.services.ledger import reconciliation, reports
from ticketing.services.money import format_minor

router = APIRouter(prefix="/orgs/{org_id}/ledger", tags=["ledger"])
_ERRORS = {401: {"description": "not_authenticated, invalid_token"},
           403: {"description": "forbidden (door staff)"},
           404: {"description": "not_found (unknown organization, or not a member)"},
           422: {"description": "invalid_datetime, invalid_kind, invalid_page, invalid_period"}}


class LineOut(BaseModel):
    account: str
    debit: str
    credit: str
    currency: str


class SourceOut(BaseModel):
    type: str
    id: str


class EntryOut(BaseModel):
    id: uuid.UUID
    at: datetime
    kind: str
    memo: str
    source: SourceOut
    cause: str
    event_id: uuid.UUID | None
    stripe_ref: str | None
    lines: list[LineOut]


class AccountOut(BaseModel):
    account: str
    debit: str
    credit: str
    balance: str  # debit - credit; negative for a credit balance
    currency: str


class TrialBalanceOut(BaseModel):
    at: datetime | None
    accounts: list[AccountOut]
    debits: str  # summed over the accounts (one currency per organization in practice)
    credits: str
    by_currency: dict[str, dict[str, str]]


class SummaryOut(BaseModel):
    event_id: uuid.UUID
    gross: str
    discounts: str
    refunds: str
    fees: str
    cost_of_tickets: str
    net: str
    currency: str


class DifferenceOut(BaseModel):
    kind: str
    stripe_ref: str | None
    currency: str
    ledger_net: str
    stripe_net: str
    detail: str


class ReconciliationOut(BaseModel):
    id: uuid.UUID
    period_from: datetime
    period_to: datetime
    ran_at: datetime
    matched: int
    differences: list[DifferenceOut]


def _when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise invalid("invalid_datetime", f"`{field}` must be an ISO 8601 date-time with an offset.", field=field)
    return parsed


def _money(minor: int, currency: str) -> str:
    sign = "-" if minor < 0 else ""
    return sign + format_minor(abs(minor), currency)


Period = Annotated[str | None, Query(max_length=64, description="ISO 8601 with offset")]


@router.get("/entries", response_model=list[EntryOut], responses=_ERRORS)
def list_entries(org_id: uuid.UUID, from_: Annotated[str | None, Query(alias="from", max_length=64)] = None,
                 to: Period = None, event_id: uuid.UUID | None = None,
                 kind: Annotated[str | None, Query(max_length=32)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
                 user_id: uuid.UUID = Depends(current_user_id)) -> list[EntryOut]:
    """Journal entries oldest first, in [from, to), of one event and/or kind; paged."""
    with session_scope(readonly=True) as db:
        rows = reports.list_entries(db=db, user_id=user_id, organization_id=org_id, date_from=_when(from_, "from"),
                                    date_to=_when(to, "to"), event_id=event_id, kind=kind, limit=limit, offset=offset)
    return [EntryOut(id=e.id, at=e.at, kind=e.kind, memo=e.memo, source=SourceOut(type=e.source_type, id=e.source_id),
                     cause=e.cause, event_id=e.event_id, stripe_ref=e.stripe_ref,
                     lines=[LineOut(account=x.account, debit=format_minor(x.debit, x.currency),
                                    credit=format_minor(x.credit, x.currency), currency=x.currency) for x in e.lines])
            for e in rows]


@router.get("/entries.csv", responses={**_ERRORS, 200: {"content": {"text/csv": {}}}})
def entries_csv(org_id: uuid.UUID, from_: Annotated[str | None, Query(alias="from", max_length=64)] = None,
                to: Period = None, event_id: uuid.UUID | None = None,
                kind: Annotated[str | None, Query(max_length=32)] = None,
                user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """The same entries as CSV, one row per line: date, entry_id, reference, kind, memo, account,
    debit, credit, currency."""
    with session_scope(readonly=True) as db:
        text = reports.entries_csv(db=db, user_id=user_id, organization_id=org_id, date_from=_when(from_, "from"),
                                   date_to=_when(to, "to"), event_id=event_id, kind=kind)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ledger-{org_id}.csv"'})


@router.get("/trial-balance", response_model=TrialBalanceOut, responses=_ERRORS)
def trial_balance(org_id: uuid.UUID, at: Period = None,
                  user_id: uuid.UUID = Depends(current_user_id)) -> TrialBalanceOut:
    """Every account's debits and credits up to `at` (default: now); debits == credits."""
    with session_scope(readonly=True) as db:
        tb = reports.trial_balance(db=db, user_id=user_id, organization_id=org_id, at=_when(at, "at"))
    totals = tb.totals()
    currency = next(iter(totals), "EUR")
    return TrialBalanceOut(
        at=tb.at,
        accounts=[AccountOut(account=a.account, debit=format_minor(a.debit, a.currency),
                             credit=format_minor(a.credit, a.currency), balance=_money(a.balance, a.currency),
                             currency=a.currency) for a in tb.accounts],
        debits=format_minor(sum(d for d, _ in totals.values()), currency),
        credits=format_minor(sum(k for _, k in totals.values()), currency),
        by_currency={c: {"debits": format_minor(d, c), "credits": format_minor(k, c)} for c, (d, k) in totals.items()})


@router.get("/events/{event_id}/summary", response_model=SummaryOut, responses=_ERRORS)
def event_summary(org_id: uuid.UUID, event_id: uuid.UUID,
                  user_id: uuid.UUID = Depends(current_user_id)) -> SummaryOut:
    """The event's profit and loss as its entries add up."""
    with session_scope(readonly=True) as db:
        s = reports.event_summary(db=db, user_id=user_id, organization_id=org_id, event_id=event_id)
    c = s.currency
    return SummaryOut(event_id=s.event_id, gross=_money(s.gross, c), discounts=_money(s.discounts, c),
                      refunds=_money(s.refunds, c), fees=_money(s.fees, c),
                      cost_of_tickets=_money(s.cost_of_tickets, c), net=_money(s.net, c), currency=c)


def _reconciliation_out(row) -> ReconciliationOut:
    return ReconciliationOut(
        id=row.id, period_from=row.period_from, period_to=row.period_to, ran_at=row.ran_at, matched=row.matched,
        differences=[DifferenceOut(kind=d["kind"], stripe_ref=d["stripe_ref"], currency=d["currency"],
                                   ledger_net=_money(d["ledger_net"], d["currency"]),
                                   stripe_net=_money(d["stripe_net"], d["currency"]), detail=d["detail"])
                     for d in row.differences])


@router.post("/reconciliations", status_code=201, response_model=ReconciliationOut,
             responses={**_ERRORS, 503: {"description": "payment_unavailable (Stripe unreachable), busy"}})
def run_reconciliation(org_id: uuid.UUID, from_: Annotated[str, Query(alias="from", max_length=64)],
                       to: Annotated[str, Query(max_length=64)],
                       user_id: uuid.UUID = Depends(current_user_id)) -> ReconciliationOut:
    """Compare the ledger's stripe_balance with Stripe's balance transactions for [from, to)."""
    start, end = _when(from_, "from"), _when(to, "to")
    if end <= start:
        raise invalid("invalid_period", "`to` must be after `from`.")
    return _reconciliation_out(reconcile.reconcile(organization_id=org_id, date_from=start, date_to=end,
                                                   user_id=user_id))


@router.get("/reconciliations/latest", response_model=ReconciliationOut | None, responses=_ERRORS)
def latest_reconciliation(org_id: uuid.UUID,
                          user_id: uuid.UUID = Depends(current_user_id)) -> ReconciliationOut | None:
    """The last reconciliation run for the organization (null when none ran yet)."""
    with session_scope(readonly=True) as db:
        row = reconciliation.last_reconciliation(db=db, user_id=user_id, organization_id=org_id)
        return _reconciliation_out(row) if row is not None else None
