"""Broker analytics (owner/organizer): profit and margin by event, supplier or price level;
unsold inventory with its age; supplier payables; revenue forecast. JSON, or CSV with
`?format=csv`. Money as decimal strings; margin and sell-through as percentages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from ticketing.api.deps import current_user_id
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.broker import analytics, outlook
from ticketing.services.errors import invalid
from ticketing.services.money import format_minor
from ticketing.services.reporting.csv_cells import csv_text

router = APIRouter(tags=["broker analytics"])
FORMATS = ("json", "csv")


def _pct(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _time(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid("invalid_window", f"{field} is an ISO 8601 date-time with an offset.", field=field) from exc
    if value.tzinfo is None:
        raise invalid("invalid_window", f"{field} needs a UTC offset.", field=field)
    return value


def _answer(rows: list[dict[str, Any]], fmt: str, name: str) -> Response:
    if fmt not in FORMATS:
        raise invalid("invalid_format", "format is json or csv.", field="format")
    if fmt == "json":
        return JSONResponse(rows)
    # Labels are organizers' and suppliers' names: written through the formula-escaping helper.
    text = csv_text([list(rows[0]), *(list(r.values()) for r in rows)]) if rows else ""
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/orgs/{org_id}/analytics/profit")
def profit(org_id: uuid.UUID, event_id: uuid.UUID | None = None, group_by: str = "event",
           from_: str | None = Query(default=None, alias="from"), to: str | None = None, format: str = "json",
           user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Rows {key, label, currency, bought, sold, held, returned, unsold, cost, revenue, discounts,
    fees, profit, margin, sell_through}; from/to bound the sales counted."""
    with session_scope(readonly=True) as db:
        rows = analytics.profit(db=db, user_id=user_id, organization_id=org_id, now=utcnow(), group_by=group_by,
                                event_id=event_id, sold_from=_time(from_, "from"), sold_to=_time(to, "to"))
    return _answer([{
        "key": str(r.key) if r.key else None, "label": r.label, "currency": r.currency, "bought": r.bought,
        "sold": r.sold, "held": r.held, "returned": r.returned, "unsold": r.unsold,
        "cost": format_minor(r.cost, r.currency), "revenue": format_minor(r.revenue, r.currency),
        "discounts": format_minor(r.discounts, r.currency), "fees": format_minor(r.fees, r.currency),
        "profit": ("-" if r.profit < 0 else "") + format_minor(abs(r.profit), r.currency),
        "margin": _pct(r.margin), "sell_through": _pct(r.sell_through)} for r in rows], format, "profit")


@router.get("/orgs/{org_id}/analytics/inventory")
def inventory(org_id: uuid.UUID, event_id: uuid.UUID | None = None, format: str = "json",
              user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Unsold owned inventory per purchase order line, with its age in days and its cost value."""
    with session_scope(readonly=True) as db:
        rows = outlook.unsold_inventory(db=db, user_id=user_id, organization_id=org_id, now=utcnow(),
                                        event_id=event_id)
    return _answer([{
        "event_id": str(r.event_id), "event": r.event_title, "supplier_id": str(r.supplier_id),
        "supplier": r.supplier_name, "purchase_order_id": str(r.purchase_order_id), "number": r.number,
        "line_id": str(r.line_id), "kind": r.kind, "unsold": r.unsold,
        "unit_cost": format_minor(r.unit_cost_minor, r.currency), "value": format_minor(r.value_minor, r.currency),
        "currency": r.currency, "owned_since": r.owned_since.isoformat(), "age_days": r.age_days} for r in rows],
        format, "inventory")


@router.get("/orgs/{org_id}/analytics/payables")
def payables(org_id: uuid.UUID, supplier_id: uuid.UUID | None = None, format: str = "json",
             user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """What is owed to suppliers per purchase order, soonest due first."""
    with session_scope(readonly=True) as db:
        rows = outlook.supplier_payables(db=db, user_id=user_id, organization_id=org_id, now=utcnow(),
                                         supplier_id=supplier_id)
    return _answer([{
        "supplier_id": str(r.supplier_id), "supplier": r.supplier_name, "purchase_order_id": str(r.purchase_order_id),
        "number": r.number, "currency": r.currency, "total": format_minor(r.total_minor, r.currency),
        "returned": format_minor(r.returned_minor, r.currency), "paid": format_minor(r.paid_minor, r.currency),
        "owed": format_minor(r.owed_minor, r.currency), "due_on": r.due_on.isoformat(), "overdue": r.overdue}
        for r in rows], format, "payables")


@router.get("/orgs/{org_id}/analytics/forecast")
def forecast(org_id: uuid.UUID, event_id: uuid.UUID | None = None, format: str = "json",
             user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Per event: sales pace (last 7 days), days left, units projected and the forecast revenue
    and profit (method in services/broker/outlook.py)."""
    with session_scope(readonly=True) as db:
        rows = outlook.revenue_forecast(db=db, user_id=user_id, organization_id=org_id, now=utcnow(),
                                        event_id=event_id)
    return _answer([{
        "event_id": str(f.event_id), "event": f.event_title, "currency": f.currency, "sold": f.sold,
        "revenue": format_minor(f.revenue_minor, f.currency), "pace_per_day": f"{f.pace_per_day}",
        "days_left": f"{f.days_left}", "available": f.available, "projected_units": f.projected_units,
        "forecast_revenue": format_minor(f.forecast_revenue_minor, f.currency),
        "forecast_profit": ("-" if f.forecast_profit_minor < 0 else "") + format_minor(abs(f.forecast_profit_minor),
                                                                                       f.currency),
        "method": "pace = valid tickets sold over the last 7 days (or the whole days since the first sale) per "
                  "day; projected units = min(owned unsold units not held, pace x days to the first "
                  "session); forecast = so far + projected units x average retail so far"} for f in rows], format, "forecast")
