"""What seat maps read: the layout once (compact, cached per layout version), the status of every
seat as one character each at a version, details of chosen seats, and who has a seat (staff).

The layout encoding is column-wise, with coordinates as differences from the previous seat: a
20,000-seat hall is a few hundred kilobytes of JSON that gzip shrinks to a few dozen.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, literal_column
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session, select

from ticketing.models import (
    Event,
    EventSeat,
    EventSession,
    Hold,
    Order,
    PriceLevel,
    Seat,
    SeatedSession,
    Ticket,
    TicketSeat,
    TicketType,
    TicketTypeSession,
    User,
    Venue,
)
from ticketing.services.accounts.organizations import STAFF_ROLES
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import not_found
from ticketing.services.money import format_minor
from ticketing.services.seating.best_available import SeatInfo
from ticketing.services.seating.seat_status import AVAILABLE, BLOCKED, code_sql, describe, is_sellable, seat_code

TYPE_CHARS = {"standard": "s", "wheelchair": "w", "companion": "c", "vip": "v", "restricted_view": "r"}
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[uuid.UUID, int], tuple[bytes, bytes]] = OrderedDict()
_cache_lock = threading.Lock()


def seated_session(db: Session, *, event_id: uuid.UUID, session_id: uuid.UUID) -> SeatedSession:
    """The seated session of the event, not_found otherwise (the caller checked visibility)."""
    seated = db.get(SeatedSession, session_id)
    if seated is None or seated.event_id != event_id:
        raise not_found("seat map")
    return seated


def price_levels(db: Session, event_id: uuid.UUID) -> list[dict[str, Any]]:
    """The event's price levels with their ticket type's price, in display order."""
    rows = db.exec(
        select(PriceLevel, TicketType.price_minor, TicketType.currency)
        .join(TicketType, TicketType.id == PriceLevel.ticket_type_id)
        .where(PriceLevel.event_id == event_id)
        .order_by(PriceLevel.sort_order, PriceLevel.name)
    ).all()
    return [
        {"id": str(lv.id), "name": lv.name, "color": lv.color, "ticket_type_id": str(lv.ticket_type_id),
         "price": format_minor(price, currency), "price_minor": price, "currency": currency}
        for lv, price, currency in rows
    ]


def _number(label: str) -> int | str:
    return int(label) if label.isdigit() and not (len(label) > 1 and label[0] == "0") else label


def encode_layout(db: Session, seated: SeatedSession) -> dict[str, Any]:
    """The map's one-time download (see module docstring)."""
    venue = db.get(Venue, seated.venue_id)
    levels = price_levels(db, seated.event_id)
    rows = db.exec(
        select(Seat.section, Seat.row, Seat.row_rank, Seat.number, Seat.seat_type, Seat.x, Seat.y, Seat.position,
               EventSeat.price_level_id)
        .join(EventSeat, EventSeat.seat_id == Seat.id)
        .where(EventSeat.session_id == seated.session_id)
        .order_by(EventSeat.idx)
    ).all()
    out = _encode(venue, levels, rows)
    out.update(session_id=str(seated.session_id), layout_version=seated.layout_version)
    return out


def encode_venue(db: Session, venue: Venue) -> dict[str, Any]:
    """A venue's seats in the map encoding, without prices or statuses (organizer preview)."""
    rows = db.exec(
        select(Seat.section, Seat.row, Seat.row_rank, Seat.number, Seat.seat_type, Seat.x, Seat.y, Seat.position,
               Seat.venue_id)
        .where(Seat.venue_id == venue.id).order_by(Seat.idx)
    ).all()
    levels = [{"id": str(venue.id), "name": "Seat", "color": "#6366f1", "ticket_type_id": "", "price": "",
               "price_minor": 0, "currency": ""}]
    out = _encode(venue, levels, rows)
    out.update(session_id="", layout_version=0)
    return out


def _encode(venue: Venue, levels: list[dict[str, Any]], rows: list[Any]) -> dict[str, Any]:
    level_index = {lv["id"]: i for i, lv in enumerate(levels)}
    sections: dict[str, int] = {}
    row_runs: list[list[Any]] = []
    dx, dy, pos, num, types, lvl = [], [], [], [], [], []
    px = py = 0
    for section, row, rank, number, seat_type, x, y, position, level_id in rows:
        sec = sections.setdefault(section, len(sections))
        if row_runs and row_runs[-1][0] == sec and row_runs[-1][1] == row:
            row_runs[-1][3] += 1
        else:
            row_runs.append([sec, row, rank, 1])
        dx.append(x - px)
        dy.append(y - py)
        px, py = x, y
        pos.append(position)
        num.append(_number(number))
        types.append(TYPE_CHARS.get(seat_type, "s"))
        lvl.append(level_index.get(str(level_id), 0))
    all_x = [r[5] for r in rows] or [0]
    all_y = [r[6] for r in rows] or [0]
    return {
        "count": len(rows),
        "stage": {"x": venue.stage_x, "y": venue.stage_y, "label": venue.stage_label},
        "bounds": [min(all_x), min(all_y), max(all_x), max(all_y)],
        "levels": levels,
        "sections": list(sections),
        "rows": row_runs,
        "dx": dx, "dy": dy, "pos": pos, "num": num, "type": "".join(types), "level": lvl,
    }


def layout_bytes(db: Session, seated: SeatedSession) -> tuple[bytes, bytes]:
    """(JSON, gzipped JSON) of the layout, built once per layout version and worker."""
    key = (seated.session_id, seated.layout_version)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    body = json.dumps(encode_layout(db, seated), separators=(",", ":")).encode()
    packed = (body, gzip.compress(body, compresslevel=6))
    with _cache_lock:
        _cache[key] = packed
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return packed


# Snapshots are shared for a moment between clients asking at the same version (an on-sale
# rush loads the same map thousands of times); a claim expiring inside that moment shows up
# with the sweeper's next delta anyway.
SNAPSHOT_TTL = 2.0
_snapshots: dict[uuid.UUID, tuple[int, datetime, dict[str, Any]]] = {}


def _statuses_in_sql(db: Session, session_id: uuid.UUID, now: datetime) -> str | None:
    """PostgreSQL: the status string built by the database in idx order (20,000 seats: one row
    instead of 20,000 read into Python, a few times faster). None elsewhere, or when the idxs are
    not exactly 0..n-1 (the caller then fills gaps itself)."""
    if db.get_bind().dialect.name != "postgresql":
        return None
    count, low, high, joined = db.exec(
        select(func.count(), func.min(EventSeat.idx), func.max(EventSeat.idx),
               func.string_agg(cast(code_sql(now), String), aggregate_order_by(literal_column("''"), EventSeat.idx)))
        .where(EventSeat.session_id == session_id)
    ).one()
    if not count or low != 0 or high != count - 1 or joined is None or len(joined) != count:
        return None
    return joined


def status_snapshot(db: Session, *, seated: SeatedSession, now: datetime) -> dict[str, Any]:
    """{version, statuses}: the event's version and one code character per seat, read in one
    transaction so that deltas after `version` apply on top exactly."""
    version = db.exec(select(Event.version).where(Event.id == seated.event_id)
                      .execution_options(populate_existing=True)).one()
    with _cache_lock:
        cached = _snapshots.get(seated.session_id)
    if cached and cached[0] == version and 0 <= (now - cached[1]).total_seconds() < SNAPSHOT_TTL:
        return cached[2]
    statuses = _statuses_in_sql(db, seated.session_id, now)
    if statuses is None:
        rows = db.exec(select(EventSeat.idx, code_sql(now)).where(EventSeat.session_id == seated.session_id)).all()
        out = [str(BLOCKED)] * len(rows)
        for idx, code in rows:
            if 0 <= idx < len(out):
                out[idx] = str(code)
        statuses = "".join(out)
    snapshot = {"session_id": str(seated.session_id), "version": version, "statuses": statuses}
    with _cache_lock:
        _snapshots[seated.session_id] = (version, now, snapshot)
    return snapshot


def close_seats(snapshot: dict[str, Any], idxs: set[int]) -> dict[str, Any]:
    """The snapshot with these seats shown blocked where they are free (a presale's block, to a
    caller whose code does not open it); the shared snapshot itself is left as it is."""
    if not idxs:
        return snapshot
    codes = list(snapshot["statuses"])
    for i in idxs:
        if 0 <= i < len(codes) and codes[i] == str(AVAILABLE):
            codes[i] = str(BLOCKED)
    return {**snapshot, "statuses": "".join(codes)}


def seat_rows(db: Session, *, session_id: uuid.UUID, idxs: list[int]) -> list[tuple[EventSeat, Seat]]:
    """Event seats with their venue seats, by map index."""
    if not idxs:
        return []
    return list(db.exec(
        select(EventSeat, Seat).join(Seat, Seat.id == EventSeat.seat_id)
        .where(EventSeat.session_id == session_id, EventSeat.idx.in_(sorted(set(idxs))))
        .order_by(EventSeat.idx)
    ).all())


def label(seat: Seat) -> str:
    return seat_label(seat.section, seat.row, seat.number)


def seat_label(section: str, row: str, number: str) -> str:
    """How a seat is named to people (map tooltip, cart, door): "Stalls · Row A · Seat 12"."""
    return f"{section} · Row {row} · Seat {number}"


def describe_seats(db: Session, *, event_id: uuid.UUID, session_id: uuid.UUID, idxs: list[int],
                   now: datetime) -> list[dict[str, Any]]:
    """The chosen seats as a customer reads them: label, price level, price, and status now."""
    levels = {lv["id"]: lv for lv in price_levels(db, event_id)}
    out = []
    for es, seat in seat_rows(db, session_id=session_id, idxs=idxs):
        lv = levels.get(str(es.price_level_id), {})
        out.append({
            "idx": es.idx, "id": str(es.id), "label": label(seat), "section": seat.section, "row": seat.row,
            "number": seat.number, "type": seat.seat_type, "level": lv.get("name", ""),
            "color": lv.get("color", "#888888"), "price_minor": lv.get("price_minor", 0),
            "currency": lv.get("currency", ""), "price": lv.get("price", ""), "ticket_type_id": lv.get("ticket_type_id"),
            "status": describe(seat_code(es, now)), "sellable": is_sellable(es, now),
        })
    return out


_static: OrderedDict[tuple[uuid.UUID, int], list[tuple[Any, ...]]] = OrderedDict()


def seat_infos(db: Session, *, session_id: uuid.UUID, now: datetime) -> list[SeatInfo]:
    """Every seat of the session as best-available input: the layout part is cached per layout
    version and worker, only the status codes are read each time (one narrow query)."""
    seated = db.get(SeatedSession, session_id)
    key = (session_id, seated.layout_version)
    with _cache_lock:
        static = _static.get(key)
    if static is None:
        static = list(db.exec(
            select(EventSeat.idx, Seat.section, Seat.row, Seat.row_rank, Seat.position, Seat.x, Seat.y,
                   Seat.seat_type, EventSeat.price_level_id)
            .join(Seat, Seat.id == EventSeat.seat_id)
            .where(EventSeat.session_id == session_id)
            .order_by(EventSeat.idx)
        ).all())
        with _cache_lock:
            _static[key] = static
            while len(_static) > _CACHE_SIZE:
                _static.popitem(last=False)
    codes = dict(db.exec(select(EventSeat.idx, code_sql(now)).where(EventSeat.session_id == session_id)).all())
    return [SeatInfo(*row, codes.get(row[0]) == AVAILABLE) for row in static]


def seats_of_tickets(db: Session, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """{ticket_id: {session_id, section, row, number}} for tickets issued for a seat (first
    seated session by start time when a ticket admits to several)."""
    if not ticket_ids:
        return {}
    rows = db.exec(
        select(TicketSeat.ticket_id, TicketSeat.session_id, Seat.section, Seat.row, Seat.number)
        .join(EventSeat, EventSeat.id == TicketSeat.event_seat_id)
        .join(Seat, Seat.id == EventSeat.seat_id)
        .join(EventSession, EventSession.id == TicketSeat.session_id)
        .where(TicketSeat.ticket_id.in_(ticket_ids))
        .order_by(EventSession.starts_at.desc())
    ).all()
    return {t: {"session_id": str(s), "section": sec, "row": row, "number": n} for t, s, sec, row, n in rows}


def seat_detail(db: Session, *, user_id: uuid.UUID, event_id: uuid.UUID, session_id: uuid.UUID, idx: int,
                now: datetime) -> dict[str, Any]:
    """Everything staff may know about one seat: status, ownership, price level, and who has it
    (holder of a live hold, order and ticket holder, or the organizer's reason and note)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id, roles=STAFF_ROLES)
    seated_session(db, event_id=event.id, session_id=session_id)
    found = seat_rows(db, session_id=session_id, idxs=[idx])
    if not found:
        raise not_found("seat")
    es, seat = found[0]
    level = db.get(PriceLevel, es.price_level_id)
    out: dict[str, Any] = {
        "idx": es.idx, "id": str(es.id), "label": label(seat), "type": seat.seat_type,
        "status": describe(seat_code(es, now)), "ownership": es.ownership, "level": level.name if level else "",
        "reason": es.reason or "", "note": es.note, "owner": "", "order": "", "expires_at": "",
    }
    code = seat_code(es, now)
    if es.hold_id is not None and code == 1:
        hold = db.get(Hold, es.hold_id)
        user = db.get(User, hold.user_id) if hold else None
        out["owner"] = f"{user.name} <{user.email}>" if user else ""
        out["expires_at"] = es.expires_at.isoformat() if es.expires_at else ""
    elif es.ticket_id is not None and code in (2, 3):
        ticket = db.get(Ticket, es.ticket_id)
        order = db.get(Order, es.order_id)
        out["owner"] = f"{ticket.holder_name} <{ticket.holder_email}>" if ticket else ""
        out["order"] = order.number if order else ""
        out["expires_at"] = es.expires_at.isoformat() if es.expires_at else ""
    return out


def section_names(db: Session, seated: SeatedSession) -> list[str]:
    """The venue's sections in layout order."""
    rows = db.exec(select(Seat.section, Seat.idx).where(Seat.venue_id == seated.venue_id, Seat.row_rank == 0)
                   .order_by(Seat.idx)).all()
    return list(dict.fromkeys(section for section, _ in rows))


def seated_ticket_type_ids(db: Session, event_id: uuid.UUID) -> list[uuid.UUID]:
    """Ticket types of the event that include a seated session (bought by choosing seats)."""
    return sorted(set(db.exec(
        select(TicketTypeSession.ticket_type_id)
        .join(SeatedSession, SeatedSession.session_id == TicketTypeSession.session_id)
        .where(SeatedSession.event_id == event_id)
    ).all()), key=str)


def seated_sessions_of_event(db: Session, event_id: uuid.UUID) -> list[EventSession]:
    """The event's seated sessions by start time (the caller checked visibility)."""
    return list(db.exec(
        select(EventSession).join(SeatedSession, SeatedSession.session_id == EventSession.id)
        .where(SeatedSession.event_id == event_id).order_by(EventSession.starts_at, EventSession.name)
    ).all())
