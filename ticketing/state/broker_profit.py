"""Profit page of the broker console: profit and margin by event, supplier or price level,
supplier payables and the revenue forecast, refreshed every few seconds while the page is open
(the figures are sums over the sales table: cheap to read again, always exact)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import money
from ticketing.models.base import utcnow
from ticketing.services.broker import analytics, outlook
from ticketing.services.errors import ServiceError
from ticketing.services.money import from_minor
from ticketing.services.reporting.csv_cells import csv_text
from ticketing.state.auth import NOT_SIGNED_IN, AuthState
from ticketing.state.calls import in_transaction

REFRESH_SECONDS = 3
WATCH_LIMIT = 1200  # refreshes (an hour) before a forgotten tab stops asking


def _signed(minor: int, currency: str) -> str:
    return ("−" if minor < 0 else "") + money(abs(minor), currency)


def _figures(db, user_id: uuid.UUID, org: uuid.UUID, group_by: str) -> dict[str, Any]:
    now = utcnow()
    rows = analytics.profit(db=db, user_id=user_id, organization_id=org, now=now, group_by=group_by)
    payables = outlook.supplier_payables(db=db, user_id=user_id, organization_id=org, now=now)
    forecast = outlook.revenue_forecast(db=db, user_id=user_id, organization_id=org, now=now)
    return {"rows": rows, "payables": payables, "forecast": forecast}


class ProfitState(rx.State):
    group_by: str = "event"
    rows: list[dict[str, Any]] = []
    chart: list[dict[str, Any]] = []
    totals: dict[str, str] = {}
    payables: list[dict[str, str]] = []
    forecast: list[dict[str, str]] = []
    error: str = ""
    message: str = ""
    _watching: int = 0

    async def _caller(self) -> tuple[uuid.UUID | None, str]:
        auth = await self.get_state(AuthState)
        return await auth._current_user_id(), auth.current_org.get("id", "")

    def _show(self, figures: dict[str, Any]) -> None:
        rows = figures["rows"]
        self.rows = [{"label": r.label, "bought": r.bought, "sold": r.sold, "held": r.held, "returned": r.returned,
                      "unsold": r.unsold, "revenue": money(r.revenue, r.currency), "cost": money(r.cost, r.currency),
                      "profit": _signed(r.profit, r.currency),
                      "margin": "—" if r.margin is None else f"{r.margin} %",
                      "sell_through": "—" if r.sell_through is None else f"{r.sell_through} %"} for r in rows]
        self.chart = [{"label": r.label[:24], "revenue": float(from_minor(r.revenue, r.currency)),
                       "cost": float(from_minor(r.cost, r.currency)),
                       "profit": float(from_minor(r.profit, r.currency))} for r in rows]
        cur = rows[0].currency if rows else "EUR"
        same = all(r.currency == cur for r in rows)
        revenue, cost = sum(r.revenue for r in rows), sum(r.cost for r in rows)
        net = revenue - sum(r.discounts for r in rows)
        profit = net - sum(r.fees for r in rows) - cost
        self.totals = {"revenue": money(revenue, cur) if same else "—", "profit": _signed(profit, cur) if same else "—",
                       "margin": f"{analytics.percent(profit, net)} %" if net and same else "—",
                       "sold": str(sum(r.sold for r in rows)), "unsold": str(sum(r.unsold for r in rows))}
        self.payables = [{"supplier": p.supplier_name, "number": p.number, "owed": money(p.owed_minor, p.currency),
                          "due": p.due_on.isoformat(), "overdue": "overdue" if p.overdue else ""}
                         for p in figures["payables"]]
        self.forecast = [{"event": f.event_title, "sold": str(f.sold), "pace": f"{f.pace_per_day}/day",
                          "days": str(f.days_left), "projected": str(f.projected_units),
                          "revenue": money(f.forecast_revenue_minor, f.currency),
                          "profit": _signed(f.forecast_profit_minor, f.currency)} for f in figures["forecast"]]

    @staticmethod
    async def _read(user_id: uuid.UUID | None, org: str, group_by: str) -> tuple[dict[str, Any] | None, str]:
        """(figures, "") or (None, why not); touches no state (background tasks call it unlocked)."""
        if user_id is None or not org:
            return None, NOT_SIGNED_IN if user_id is None else "Sign in as a member of an organization."
        try:
            return await in_transaction(lambda db: _figures(db, user_id, uuid.UUID(org), group_by),
                                        readonly=True), ""
        except ServiceError as exc:
            return None, exc.message

    @rx.event
    async def load(self):
        user_id, org = await self._caller()
        figures, self.error = await self._read(user_id, org, self.group_by)
        if figures is not None:
            self._show(figures)

    @rx.event
    async def set_group(self, value: str):
        if value in analytics.GROUPS:
            self.group_by = value
            return ProfitState.load
        return None

    @rx.event
    def stop(self):
        self._watching += 1  # any running watch loop sees a newer number and ends

    @rx.event(background=True)
    async def watch(self):
        """Refresh the figures while the page is open: sales show up within seconds."""
        async with self:
            self._watching += 1
            mine = self._watching
        for _ in range(WATCH_LIMIT):
            await asyncio.sleep(REFRESH_SECONDS)
            async with self:
                if self._watching != mine:
                    return
                user_id, org = await self._caller()
                group_by = self.group_by
            figures, error = await self._read(user_id, org, group_by)
            async with self:
                if self._watching != mine:
                    return
                self.error = error
                if figures is not None:
                    self._show(figures)

    @rx.event
    async def export_csv(self):
        user_id, org = await self._caller()
        figures, self.error = await self._read(user_id, org, self.group_by)
        if figures is None:
            return None
        header = [self.group_by, "currency", "bought", "sold", "held", "returned", "unsold", "revenue",
                  "discounts", "fees", "cost", "profit", "margin_percent", "sell_through_percent"]
        rows = [[r.label, r.currency, r.bought, r.sold, r.held, r.returned, r.unsold,
                 from_minor(r.revenue, r.currency), from_minor(r.discounts, r.currency),
                 from_minor(r.fees, r.currency), from_minor(r.cost, r.currency),
                 ("-" if r.profit < 0 else "") + str(from_minor(abs(r.profit), r.currency)),
                 r.margin if r.margin is not None else "", r.sell_through or ""] for r in figures["rows"]]
        # Labels are event, supplier and price-level names: formula-looking ones are made inert.
        return rx.download(data=csv_text([header, *rows]), filename=f"profit-by-{self.group_by}.csv",
                           mime_type="text/csv")
