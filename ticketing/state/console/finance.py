"""Finance: the current organization's books — balances, the trial balance at a date, one
event's profit and loss, the entries as CSV, and the last reconciliation with Stripe.

Owners and organizers only: every handler takes the caller from the verified token and the
organization from the caller's memberships; the ledger services check the role again.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import reflex as rx

from ticketing.formatting import money
from ticketing.models.base import utcnow
from ticketing.payments import reconcile
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.ledger import reconciliation, reports
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction

ACCOUNT_LABELS = {
    "stripe_balance": "Stripe balance", "bank": "Bank", "ticket_revenue": "Ticket revenue", "discounts": "Discounts",
    "refunds": "Refunds", "stripe_fees": "Stripe fees", "supplier_payable": "Supplier payable",
    "inventory": "Inventory", "cost_of_tickets": "Cost of tickets",
}
RECONCILE_DAYS = 30


def _signed(minor: int, currency: str) -> str:
    return ("−" if minor < 0 else "") + money(abs(minor), currency)


def _end_of_day(text: str) -> datetime | None:
    """`YYYY-MM-DD` -> the end of that UTC day (the trial balance includes the whole day)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc) - timedelta(microseconds=1)


NO_BOOKS = "Sign in as an owner or organizer of an organization to see its books."


class FinanceState(rx.State):
    org_name: str = ""
    accounts: list[dict[str, str]] = []
    balances: dict[str, str] = {}
    totals: dict[str, str] = {}
    at_date: str = ""
    events: list[dict[str, str]] = []
    event_id: str = ""
    pnl: dict[str, str] = {}
    recon: dict[str, str] = {}
    differences: list[dict[str, str]] = []
    reconciling: bool = False
    error: str = ""

    async def _who(self) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(caller, organization) from the server's own session; None when either is missing."""
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        org = auth.current_org
        if user_id is None or not org["id"]:
            return None
        self.org_name = org["name"]
        return user_id, uuid.UUID(org["id"])

    async def _call(self, work) -> Any:
        who = await self._who()
        if who is None:
            self.error = NO_BOOKS
            return None
        try:
            return await in_transaction(lambda db: work(db, *who), readonly=True)
        except ServiceError as exc:
            self.error = exc.message
            return None

    def _show_balance(self, tb: reports.TrialBalance) -> None:
        self.accounts = [{"account": ACCOUNT_LABELS.get(a.account, a.account), "key": a.account,
                          "debit": money(a.debit, a.currency), "credit": money(a.credit, a.currency),
                          "balance": _signed(a.balance, a.currency)} for a in tb.accounts]
        self.balances = {a.account: _signed(a.balance, a.currency) for a in tb.accounts}
        totals = tb.totals()
        currency = next(iter(totals), "EUR")
        debits, credits = totals.get(currency, (0, 0))
        self.totals = {"debits": money(debits, currency), "credits": money(credits, currency),
                       "balanced": "yes" if all(d == k for d, k in totals.values()) else "no",
                       "revenue": _signed(-sum(a.balance for a in tb.accounts if a.account == "ticket_revenue"),
                                          currency)}

    @rx.event
    async def load(self):
        """on_load of /finance: the trial balance today, the events to pick, the last reconciliation."""
        self.error = ""
        at = _end_of_day(self.at_date) if self.at_date else None

        def work(db, user_id, org_id):
            tb = reports.trial_balance(db=db, user_id=user_id, organization_id=org_id, at=at)
            events = catalog.list_events_for_org(db=db, user_id=user_id, organization_id=org_id, now=utcnow())
            last = reconciliation.last_reconciliation(db=db, user_id=user_id, organization_id=org_id)
            return tb, events, last

        found = await self._call(work)
        if found is None:
            return
        tb, events, last = found
        self._show_balance(tb)
        self.events = [{"id": str(e.event.id), "title": e.event.title} for e in events]
        self._show_reconciliation(last)
        if not self.event_id and self.events:
            self.event_id = self.events[0]["id"]
        if self.event_id:
            await self._load_pnl()

    async def _load_pnl(self) -> None:
        try:
            event_id = uuid.UUID(self.event_id)
        except ValueError:
            self.error = "Choose one of your events."
            return
        s = await self._call(lambda db, user_id, org_id: reports.event_summary(
            db=db, user_id=user_id, organization_id=org_id, event_id=event_id))
        if s is None:
            self.pnl = {}
            return
        c = s.currency
        self.pnl = {"gross": money(s.gross, c), "discounts": _signed(-s.discounts, c), "refunds": _signed(-s.refunds, c),
                    "fees": _signed(-s.fees, c), "cost_of_tickets": _signed(-s.cost_of_tickets, c),
                    "net": _signed(s.net, c)}

    @rx.event
    async def choose_event(self, event_id: str):
        self.event_id = str(event_id)[:64]
        self.error = ""
        await self._load_pnl()

    @rx.event
    async def set_at_date(self, value: str):
        """The trial balance at the end of that day (empty: today)."""
        value = str(value)[:10]
        if value and _end_of_day(value) is None:
            self.error = "Enter a date as YYYY-MM-DD."
            return
        self.at_date = value
        return FinanceState.load

    @rx.event
    async def download_csv(self):
        text = await self._call(lambda db, user_id, org_id: reports.entries_csv(
            db=db, user_id=user_id, organization_id=org_id))
        if text is None:
            return rx.toast.error(self.error or "The ledger could not be exported.")
        stamp = utcnow().strftime("%Y%m%d")
        return rx.download(data=text, filename=f"ledger-{stamp}.csv", mime_type="text/csv")

    def _show_reconciliation(self, row) -> None:
        if row is None:
            self.recon, self.differences = {}, []
            return
        self.recon = {"ran_at": f"{row.ran_at:%d %b %Y %H:%M} UTC", "matched": str(row.matched),
                      "period": f"{row.period_from:%d %b} – {row.period_to:%d %b %Y}",
                      "count": str(len(row.differences))}
        self.differences = [{"kind": d["kind"].replace("_", " "), "ref": d["stripe_ref"] or "—",
                             "ledger": _signed(d["ledger_net"], d["currency"]),
                             "stripe": _signed(d["stripe_net"], d["currency"])} for d in row.differences]

    @rx.event(background=True)
    async def run_reconciliation(self):
        """Compare the last 30 days with Stripe now (Stripe is slow: off the state lock)."""
        async with self:
            who = await self._who()
            if who is None:
                self.error = NO_BOOKS
                return rx.toast.error(NO_BOOKS)
            if self.reconciling:
                return None
            self.reconciling, self.error = True, ""
        end = utcnow()
        try:
            row = await asyncio.to_thread(lambda: reconcile.reconcile(
                organization_id=who[1], date_from=end - timedelta(days=RECONCILE_DAYS), date_to=end, user_id=who[0]))
        except ServiceError as exc:
            async with self:
                self.reconciling, self.error = False, exc.message
            return
        async with self:
            self.reconciling = False
            self._show_reconciliation(row)
