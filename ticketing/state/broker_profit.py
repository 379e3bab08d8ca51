"""Profit page of the broker console: profit and margin by event, supplier or price level,
supplier payables and the revenue forecast. Live: the tab registers with the worker's
organization fan-out, which reloads the figures when any event of the organization changes (a
sale, a hold, a purchase order) and pushes them; while the bus is down the page polls."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from ticketing.realtime.org_views import PROFIT, profit_figures, profit_view
from ticketing.services.broker import analytics
from ticketing.services.errors import ServiceError
from ticketing.services.money import from_minor
from ticketing.services.reporting.csv_cells import csv_text
from ticketing.state.auth import NOT_SIGNED_IN, AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import register_view
from ticketing.state.org_live import org_fanout


class ProfitState(rx.State):
    group_by: str = "event"
    rows: list[dict[str, Any]] = []
    chart: list[dict[str, Any]] = []
    totals: dict[str, str] = {}
    payables: list[dict[str, str]] = []
    forecast: list[dict[str, str]] = []
    live: bool = True
    error: str = ""
    message: str = ""

    async def _read(self) -> tuple[uuid.UUID, uuid.UUID, dict[str, Any]] | None:
        """(user, organization, figures) as the verified caller; None (error set) if refused."""
        auth = await self.get_state(AuthState)
        user_id, org = await auth._current_user_id(), auth.current_org.get("id", "")
        if user_id is None or not org:
            self.error = NOT_SIGNED_IN if user_id is None else "Sign in as a member of an organization."
            return None
        org_id, group_by = uuid.UUID(org), self.group_by
        try:
            figures = await in_transaction(lambda db: profit_figures(db, user_id=user_id, organization_id=org_id,
                                                                     group_by=group_by), readonly=True)
        except ServiceError as exc:
            self.error = exc.message
            return None
        self.error = ""
        return user_id, org_id, figures

    @rx.event
    async def load(self):
        """on_load: figures now, then live pushes while the tab stays."""
        read = await self._read()
        if read is None:
            org_fanout.unwatch(self.router.session.client_token)
            return
        user_id, org_id, figures = read
        for name, value in profit_view(figures).items():
            setattr(self, name, value)
        self.live = org_fanout.bus_up
        org_fanout.watch(self.router.session.client_token, org_id=str(org_id), view=PROFIT, param=self.group_by,
                         user_id=str(user_id))

    @rx.event
    async def set_group(self, value: str):
        if value in analytics.GROUPS:
            self.group_by = value
            return ProfitState.load
        return None

    @rx.event
    def leave(self):
        """on_unmount: stop receiving this organization's figures."""
        org_fanout.unwatch(self.router.session.client_token)

    @rx.event
    async def refresh(self):
        """Polled every 10 s while live updates are paused."""
        if not self.live:
            return ProfitState.load
        return None

    @rx.event
    async def export_csv(self):
        read = await self._read()
        if read is None:
            return None
        header = [self.group_by, "currency", "bought", "sold", "held", "returned", "unsold", "revenue",
                  "discounts", "fees", "cost", "profit", "margin_percent", "sell_through_percent"]
        rows = [[r.label, r.currency, r.bought, r.sold, r.held, r.returned, r.unsold,
                 from_minor(r.revenue, r.currency), from_minor(r.discounts, r.currency),
                 from_minor(r.fees, r.currency), from_minor(r.cost, r.currency),
                 ("-" if r.profit < 0 else "") + str(from_minor(abs(r.profit), r.currency)),
                 r.margin if r.margin is not None else "", r.sell_through or ""] for r in read[2]["rows"]]
        # Labels are event, supplier and price-level names: formula-looking ones are made inert.
        return rx.download(data=csv_text([header, *rows]), filename=f"profit-by-{self.group_by}.csv",
                           mime_type="text/csv")


register_view(PROFIT, ProfitState)
