"""What organization pages show, as plain JSON-able dicts: the broker Profit page's figures.

The same functions build the page's first load and every live push, so both always agree.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ticketing.db import session_scope
from ticketing.formatting import money
from ticketing.models import Event
from ticketing.models.base import utcnow
from ticketing.services.accounts.organizations import members_with_role
from ticketing.services.broker import analytics, outlook
from ticketing.services.money import from_minor

PROFIT = "profit"  # the view name of the Profit page


def _signed(minor: int, currency: str) -> str:
    return ("−" if minor < 0 else "") + money(abs(minor), currency)


def profit_figures(db, *, user_id: uuid.UUID, organization_id: uuid.UUID, group_by: str) -> dict[str, Any]:
    """Profit rows, supplier payables and the forecast, read as `user_id` (role checked)."""
    now = utcnow()
    kw = {"db": db, "user_id": user_id, "organization_id": organization_id, "now": now}
    return {"rows": analytics.profit(group_by=group_by, **kw), "payables": outlook.supplier_payables(**kw),
            "forecast": outlook.revenue_forecast(**kw)}


def profit_view(figures: dict[str, Any]) -> dict[str, Any]:
    """The Profit page's vars: rows, chart, totals, payables, forecast."""
    rows = figures["rows"]
    cur = rows[0].currency if rows else "EUR"
    same = all(r.currency == cur for r in rows)
    revenue, cost = sum(r.revenue for r in rows), sum(r.cost for r in rows)
    net = revenue - sum(r.discounts for r in rows)
    profit = net - sum(r.fees for r in rows) - cost
    return {
        "rows": [{"label": r.label, "bought": r.bought, "sold": r.sold, "held": r.held, "returned": r.returned,
                  "unsold": r.unsold, "revenue": money(r.revenue, r.currency), "cost": money(r.cost, r.currency),
                  "profit": _signed(r.profit, r.currency), "margin": "—" if r.margin is None else f"{r.margin} %",
                  "sell_through": "—" if r.sell_through is None else f"{r.sell_through} %"} for r in rows],
        "chart": [{"label": r.label[:24], "revenue": float(from_minor(r.revenue, r.currency)),
                   "cost": float(from_minor(r.cost, r.currency)),
                   "profit": float(from_minor(r.profit, r.currency))} for r in rows],
        "totals": {"revenue": money(revenue, cur) if same else "—", "profit": _signed(profit, cur) if same else "—",
                   "margin": f"{analytics.percent(profit, net)} %" if net and same else "—",
                   "sold": str(sum(r.sold for r in rows)), "unsold": str(sum(r.unsold for r in rows))},
        "payables": [{"supplier": p.supplier_name, "number": p.number, "owed": money(p.owed_minor, p.currency),
                      "due": p.due_on.isoformat(), "overdue": "overdue" if p.overdue else ""}
                     for p in figures["payables"]],
        "forecast": [{"event": f.event_title, "sold": str(f.sold), "pace": f"{f.pace_per_day}/day",
                      "days": str(f.days_left), "projected": str(f.projected_units),
                      "revenue": money(f.forecast_revenue_minor, f.currency),
                      "profit": _signed(f.forecast_profit_minor, f.currency)} for f in figures["forecast"]],
    }


def _load(org_id: str, view: str, param: str, user_ids: set[str]) -> tuple[dict[str, Any] | None, set[str]]:
    if view != PROFIT or param not in analytics.GROUPS:
        return None, set()
    org = uuid.UUID(org_id)
    with session_scope(readonly=True) as db:
        allowed = {str(u) for u in members_with_role(db=db, organization_id=org,
                                                     user_ids=[uuid.UUID(u) for u in user_ids])}
        if not allowed:
            return None, allowed
        reader = uuid.UUID(min(allowed))
        return profit_view(profit_figures(db, user_id=reader, organization_id=org, group_by=param)), allowed


async def load_org_view(org_id: str, view: str, param: str,
                        user_ids: set[str]) -> tuple[dict[str, Any] | None, set[str]]:
    """The fan-out's loader: the database work runs in a thread."""
    return await asyncio.to_thread(_load, org_id, view, param, user_ids)


def _organization_of(event_id: str) -> str | None:
    try:
        key = uuid.UUID(event_id)
    except ValueError:
        return None
    with session_scope(readonly=True) as db:
        event = db.get(Event, key)
        return str(event.organization_id) if event is not None else None


async def organization_of_event(event_id: str) -> str | None:
    """The fan-out's event -> organization lookup (asked once per event, then cached)."""
    return await asyncio.to_thread(_organization_of, event_id)
