"""Reports: sales by ticket type and day, money in and out, fill and check-in per session."""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from ticketing.formatting import local_time, money
from ticketing.models.base import utcnow
from ticketing.services.catalog import console_catalog
from ticketing.services.errors import ServiceError
from ticketing.services.money import from_minor
from ticketing.services.reporting import sales_report
from ticketing.state.console.base import ConsoleState


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _refunds_note(report: sales_report.Report) -> str:
    """Refunds Stripe has not confirmed or has refused: the organizer should know."""
    notes = []
    if report.refunds_pending_minor:
        notes.append(f"{money(report.refunds_pending_minor, report.currency)} on its way")
    if report.refunds_failed_minor:
        notes.append(f"{money(report.refunds_failed_minor, report.currency)} refused by Stripe, not refunded")
    return "; ".join(notes)


class ReportsState(ConsoleState):
    stats: dict[str, str] = {}
    by_type: list[dict[str, Any]] = []
    by_day: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    error: str = ""
    charts: bool = False  # drawn after the figures (pages/console/reports.py)

    async def _report(self) -> sales_report.Report | None:
        try:
            return await self._run(lambda db, uid, eid: sales_report.event_report(
                db=db, user_id=uid, event_id=eid, now=utcnow()), readonly=True)
        except ServiceError:
            self.missing = True
            return None

    @rx.event
    async def load(self):
        # The header's builder view and the report in one transaction (one thread hop).
        try:
            builder, report = await self._run(lambda db, uid, eid: (
                console_catalog.builder_view(db=db, user_id=uid, event_id=eid, now=utcnow()),
                sales_report.event_report(db=db, user_id=uid, event_id=eid, now=utcnow())), readonly=True)
        except ServiceError:
            self.missing, self.loaded = True, False
            return
        await self._show_builder(builder)
        cur, tz = report.currency, report.event.timezone
        self.error = ""
        self.stats = {
            "gross": money(report.gross_minor, cur), "refunds": money(report.refunds_minor, cur),
            "net": money(report.net_minor, cur), "sold": str(report.tickets_sold), "orders": str(report.paid_orders),
            "checkin": f"{report.checkin_rate} %" if report.expected_admissions else "—",
            "refunds_note": _refunds_note(report),
            "discounts": money(report.discounts_minor, cur),
            "net_note": (f"promo codes gave {money(report.discounts_minor, cur)}; "
                         f"{money(report.net_after_fees_minor, cur)} after Stripe fees of {money(report.fees_minor, cur)}"),
        }
        self.by_type = [{"name": t.name, "short": _short(t.name, 24), "sold": t.sold, "cancelled": t.cancelled,
                         "revenue": money(t.revenue_minor, cur), "quota": "—" if t.quota is None else str(t.quota)}
                        for t in report.by_type]
        self.by_day = [{"day": f"{d.day:%d %b}", "tickets": d.tickets,
                        "revenue": float(from_minor(d.gross_minor, cur))} for d in report.by_day]
        self.sessions = [
            {"name": s.name, "short": _short(s.name), "when": f"{local_time(s.starts_at, tz):%a %d %b %H:%M}",
             "status": s.status, "capacity": s.capacity, "sold": s.sold, "waiting": s.pending + s.held,
             "free": max(s.capacity - s.sold - s.pending - s.held, 0) if s.status != "cancelled" else 0,
             "utilisation": s.utilisation, "checked_in": s.checked_in, "rate": s.checkin_rate}
            for s in report.sessions
        ]
        if not self.charts:
            return ReportsState.draw_charts

    @rx.event
    def draw_charts(self):
        """Once the figures are on screen: the charts (a second render, so the tables come first)."""
        self.charts = True

    @rx.event
    async def export_csv(self):
        try:
            report = await self._report()
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if report is None:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", report.event.title.lower()).strip("-")[:40] or "event"
        return rx.download(data=sales_report.report_csv(report), filename=f"report-{slug}.csv", mime_type="text/csv")
