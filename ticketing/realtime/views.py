"""What watching pages show of an event's availability, as plain JSON-able dicts.

The same functions build a page's first snapshot and every live update, so both always agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from ticketing.db import session_scope
from ticketing.formatting import date_range, local_time, money
from ticketing.models import Event
from ticketing.models.base import utcnow
from ticketing.services.door import door
from ticketing.services.presales.access import seat_blocks
from ticketing.services.reporting.reports import SalesSummary, event_sales
from ticketing.services.sales import usage
from ticketing.services.sales.availability import EventAvailability, EventInputs, compute_availability, load_inputs
from ticketing.services.sales.usage import Usage
from ticketing.services.seating.seat_counts import SessionSeats, block_free_of, free_of, load_session_seats

STATUS_LABELS = {
    "available": "Available",
    "filling_up": "Filling up",
    "nearly_full": "Nearly full",
    "sold_out": "Sold out",
}
REASON_LABELS = {
    "not_on_sale_yet": "Not on sale yet",
    "sale_ended": "Sale ended",
    "inactive": "Not available",
    "quota_reached": "Sold out",
    "session_full": "Sold out",
    "presale_only": "Presale: access code needed",
}


# What a live delta pushes of each view (the rest only changes with the catalog, and goes out
# whole after the reload that a catalog change causes).
DELTA_KEYS = {"customer": ("figures",)}


def customer_view(avail: EventAvailability, event: Event) -> dict[str, Any]:
    """Sessions and ticket types as the page lists them (names, dates, prices: what only the
    catalog changes) and their `figures` by id (places left, bands, why not: what every sale
    changes). A live update pushes the figures alone."""
    names = {s.id: s.name for s in avail.sessions}
    order = {s.id: i for i, s in enumerate(avail.sessions)}  # by start time
    left = {s.id: s.available for s in avail.sessions}
    # Full only because of carts and unpaid orders: those places may still come back.
    may_return = {s.id for s in avail.sessions if s.available == 0 and s.held + s.pending > 0}
    sessions, figures = [], {}
    for s in avail.sessions:
        taken = s.capacity - s.available
        sessions.append({
            "id": str(s.id),
            "name": s.name,
            "when": date_range(s.starts_at, None, event.timezone),
            "capacity": s.capacity,
        })
        figures[str(s.id)] = {
            "available": s.available,
            "taken_percent": round(100 * taken / s.capacity) if s.capacity else 100,
            "status": s.status,
            "status_label": STATUS_LABELS[s.status],
            "note": "Places in carts may come back" if s.id in may_return else "",
        }
    types = []
    for t in avail.ticket_types:
        bottleneck = names.get(t.bottleneck_session_id, "") if t.bottleneck_session_id else ""
        # Worth saying only when that session, not the quota, is what limits the type.
        binding = bool(bottleneck) and len(t.session_ids) > 1 and left.get(t.bottleneck_session_id) == t.available
        types.append({
            "id": str(t.id),
            "name": t.name,
            "price": money(t.price_minor, t.currency),
            "price_minor": t.price_minor,  # the basket's total is shown by the browser (assets/basket.js)
            "seated": t.seated,
            "seat_href": f"/events/{event.id}/seats/{t.seated_session_ids[0]}" if t.seated else "",
            "sessions": ", ".join(names[s] for s in sorted(t.session_ids, key=lambda x: order.get(x, 0)) if s in names),
            "session_ids": [str(s) for s in t.session_ids],  # types sharing a session share its places (basket.js)
        })
        figures[str(t.id)] = {
            "available": t.available,
            "is_available": t.is_available,
            "reason": t.reason or "",  # the waiting list and presale codes go by it
            "reason_label": REASON_LABELS.get(t.reason or "", ""),
            "note": (
                "No seats left in this category" if t.seated and t.reason == "session_full"
                else f"{bottleneck} is full for now: places in carts may come back"
                if t.reason == "session_full" and t.bottleneck_session_id in may_return
                else f"{bottleneck} is full" if t.reason == "session_full" else ""
            ),
            "limited_by": f"Limited by {bottleneck}" if binding and t.is_available else "",
        }
    return {"sessions": sessions, "ticket_types": types, "figures": figures}


def catalog_key(inputs: EventInputs) -> str:
    """A short fingerprint of what the organizer console shows of the catalog: a console tab
    whose loaded key differs from the live one knows someone changed the event elsewhere."""
    e = inputs.event
    parts = [e.title, e.status, e.timezone]
    parts += [f"{s.id}|{s.name}|{s.capacity}|{s.status}|{s.starts_at}|{s.ends_at}" for s in inputs.sessions]
    parts += [
        f"{t.id}|{t.name}|{t.price_minor}|{t.max_quantity}|{t.is_active}|{t.sort_order}|{t.min_per_order}|"
        f"{t.max_per_order}|{t.sale_starts_at}|{t.sale_ends_at}|{','.join(map(str, sorted(inputs.sessions_of[t.id])))}"
        for t in inputs.types
    ]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def console_view(avail: EventAvailability, inputs: EventInputs) -> dict[str, Any]:
    """The organizer console's live figures: places left per session, units left and the
    bottleneck session per ticket type, and the catalog's fingerprint."""
    return {
        "places_left": {str(s.id): s.available for s in avail.sessions},
        "taken": {str(s.id): s.sold + s.pending + s.held for s in avail.sessions},
        "type_left": {str(t.id): t.available for t in avail.ticket_types},
        "bottlenecks": {str(t.id): str(t.bottleneck_session_id or "") for t in avail.ticket_types},
        "catalog_key": catalog_key(inputs),
    }


def dashboard_view(avail: EventAvailability, event: Event, sales: SalesSummary,
                   checkins: list[door.SessionCheckins] | None = None,
                   conflicts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The organizer's live figures: counters, fill per session, sales per day, latest orders,
    check-ins per session and offline conflicts from the door."""
    cur = sales.currency or (avail.ticket_types[0].currency if avail.ticket_types else "EUR")
    admitted = {c.session_id: (c.admitted, c.expected) for c in checkins or []}
    sessions = []
    for s in avail.sessions:
        taken = s.capacity - s.available
        checked_in, expected = admitted.get(s.id, (0, 0))
        sessions.append({
            "id": str(s.id), "name": s.name, "capacity": s.capacity, "sold": s.sold, "pending": s.pending,
            "held": s.held, "available": s.available, "status": s.status, "status_label": STATUS_LABELS[s.status],
            "taken_percent": round(100 * taken / s.capacity) if s.capacity else 100,
            "checked_in": checked_in, "expected": expected,
        })
    return {
        "stats": {
            "tickets_sold": str(sales.tickets_sold),
            "revenue": money(sales.revenue_minor, cur),
            "holds": str(sales.holds_active),
            "tickets_held": str(sales.tickets_held),
            "pending_orders": str(sales.pending_orders),
            "pending_amount": money(sales.pending_minor, cur),
        },
        "sessions": sessions,
        "chart": [
            {"day": f"{d.day:%d %b}", "tickets": d.tickets, "revenue": round(d.revenue_minor / 100, 2)}
            for d in sales.by_day
        ],
        "orders": [
            {
                "number": o.number, "buyer": o.buyer, "tickets": o.tickets, "total": money(o.total_minor, o.currency),
                "status": o.status, "at": f"{o.at.astimezone(ZoneInfo(event.timezone)):%d %b %H:%M:%S}",
            }
            for o in sales.latest_orders
        ],
        "conflicts": conflicts or [],
    }


RESULT_TITLES = {
    "admitted": "Admitted",
    "already_checked_in": "Already checked in",
    "unknown_code": "Unknown ticket",
    "wrong_event": "Wrong event",
    "wrong_session": "Wrong session",
    "not_paid": "Not paid",
    "cancelled": "Cancelled",
    "revoked": "Old code",
}


def checkin_counters(stats: list[door.SessionCheckins], timezone: str) -> list[dict[str, Any]]:
    """Admitted / expected per session, with a fill percentage for the bars."""
    return [
        {
            "id": str(s.session_id), "name": s.name, "when": date_range(s.starts_at, s.ends_at, timezone),
            "admitted": s.admitted, "expected": s.expected,
            "percent": min(100, round(100 * s.admitted / s.expected)) if s.expected else 0,
        }
        for s in stats
    ]


def door_view(db: Session, event: Event) -> dict[str, Any]:
    """The door pages' live figures: counters per session, the latest scans at every gate,
    and how many offline conflicts the organizer has to look at."""
    zone = event.timezone
    return {
        "counters": checkin_counters(door.checkin_stats(db=db, event_id=event.id), zone),
        "history": [
            {
                "id": str(line.id), "at": f"{local_time(line.at, zone):%H:%M:%S}", "result": line.result,
                "ok": line.result == "admitted", "title": RESULT_TITLES.get(line.result, line.result),
                "holder": line.holder_name or line.message,
                "detail": " · ".join(part for part in (line.ticket_type, line.session_name, line.gate,
                                                       "offline" if line.offline else "") if part),
            }
            for line in door.recent_scans(db=db, event_id=event.id, limit=15)
        ],
        "conflicts": door.count_conflicts(db=db, event_id=event.id),
    }


def conflict_lines(db: Session, event: Event) -> list[dict[str, str]]:
    """Offline admissions the server would have refused, for the organizer."""
    zone = event.timezone
    out = []
    for c, session_name in door.list_conflicts(db=db, event_id=event.id, limit=20):
        when = f"{local_time(c.second_at, zone):%d %b %H:%M}"
        if c.kind == "duplicate":
            first = f"{local_time(c.first_at, zone):%H:%M}" if c.first_at else "?"
            second = f"{local_time(c.second_at, zone):%H:%M}"
            what = f"Admitted twice: {c.first_gate} at {first}, {c.second_gate} at {second}"
        else:
            what = f"Admitted offline by {c.second_gate} although {RESULT_TITLES.get(c.kind, c.kind).lower()}"
        out.append({"id": str(c.id), "holder": c.holder_name or "Unknown ticket", "session": session_name,
                    "what": what, "when": when, "kind": c.kind})
    return out


@dataclass(frozen=True)
class LiveModel:
    """What a worker keeps per watched event: the catalog and the latest usage figures."""

    inputs: EventInputs
    session_used: dict[uuid.UUID, Usage]
    type_used: dict[uuid.UUID, Usage]
    seats: dict[uuid.UUID, SessionSeats]  # seated sessions, seat by seat (updated in place by deltas)


def build_snapshot(event_id: uuid.UUID, views: frozenset[str]) -> tuple[int, LiveModel, dict[str, dict[str, Any]]]:
    """(version, model, {view: vars}) of the event, read in one transaction."""
    with session_scope(readonly=True) as db:
        now = utcnow()
        inputs = load_inputs(db=db, event_id=event_id)
        model = LiveModel(
            inputs,
            usage.session_usage(db=db, sessions=inputs.sessions, now=now),
            usage.ticket_type_usage(db=db, ticket_types=inputs.types, now=now),
            load_session_seats(db, event_id=event_id, now=now, blocks=seat_blocks(inputs.presales)),
        )
        version = inputs.event.version
        avail = compute_availability(inputs, model.session_used, model.type_used, version=version, now=now,
                                     seat_free=free_of(model.seats), block_free=block_free_of(model.seats))
        out: dict[str, dict[str, Any]] = {}
        if "customer" in views:
            out["customer"] = customer_view(avail, inputs.event)
        if "console" in views:
            out["console"] = console_view(avail, inputs)
        if "dashboard" in views:
            out["dashboard"] = dashboard_view(avail, inputs.event, event_sales(db=db, event=inputs.event, now=now),
                                              door.checkin_stats(db=db, event_id=event_id),
                                              conflict_lines(db, inputs.event))
        if "door" in views:
            out["door"] = door_view(db, inputs.event)
        return version, model, out


async def load_snapshot(event_id: str, views: frozenset[str]) -> tuple[int, LiveModel, dict[str, dict[str, Any]]]:
    """The hub's loader: the database work runs in a thread."""
    return await asyncio.to_thread(build_snapshot, uuid.UUID(event_id), views)


def _usage_update(known: dict[uuid.UUID, Usage], figures: dict[str, list[int]]) -> dict[uuid.UUID, Usage] | None:
    updated = dict(known)
    for key, (sold, pending, held) in figures.items():
        target = uuid.UUID(key)
        if target not in known:
            return None  # a session or quota we have never seen: the catalog moved on
        updated[target] = Usage(sold, pending, held)
    return updated


def apply_delta(
    model: LiveModel, delta: dict[str, Any], views: frozenset[str]
) -> tuple[LiveModel, dict[str, dict[str, Any]]] | None:
    """Apply a delta's exact usage figures to the model and re-render the views, with no
    database work; None when a reload is needed (organizer figures come from the database)."""
    if not views <= {"customer", "console"}:
        return None
    sessions = _usage_update(model.session_used, delta.get("sessions", {}))
    quotas = _usage_update(model.type_used, delta.get("quotas", {}))
    if sessions is None or quotas is None or delta.get("layouts"):
        return None
    for session_id, changes in (delta.get("seats") or {}).items():
        seated = model.seats.get(uuid.UUID(session_id))
        if seated is None or not seated.apply(changes):
            return None  # a session seated since the snapshot, or seats we never saw
    updated = LiveModel(model.inputs, sessions, quotas, model.seats)
    avail = compute_availability(model.inputs, sessions, quotas, version=int(delta["version"]), now=utcnow(),
                                 seat_free=free_of(model.seats), block_free=block_free_of(model.seats))
    out: dict[str, dict[str, Any]] = {}
    if "customer" in views:
        out["customer"] = customer_view(avail, model.inputs.event)
    if "console" in views:
        out["console"] = console_view(avail, model.inputs)
    return updated, out
