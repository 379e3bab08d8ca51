"""What purchase orders do to inventory: confirming makes their seats owned and their places
sellable; receiving records delivery; returning gives unsold inventory back to the supplier for
good; cancelling undoes an order nothing was sold from.

Locks are taken in the sale path's order — the seats' sessions, then the ticket types, then the
seats (sorted ids each) — so a purchase order and a buyer never wait on each other in a circle,
and everything is counted under the locks it changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    Event,
    EventSeat,
    EventSession,
    OwnedSeat,
    Ownership,
    PriceLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Seat,
    SeatStatus,
    TicketSale,
    TicketType,
)
from ticketing.services import live_changes
from ticketing.services.broker import pricing
from ticketing.services.broker.purchase_orders import check_version, lines_of, order_for_manager, touch
from ticketing.services.broker.sale_costs import sold_by_line
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.ledger import broker_postings
from ticketing.services.sales import usage
from ticketing.services.sales.places import lock_fresh
from ticketing.services.seating.seat_map import seat_label
from ticketing.services.seating.seat_status import in_inventory, is_free, note_change, set_free

OWNING = (PurchaseOrderStatus.confirmed.value, PurchaseOrderStatus.partially_received.value,
          PurchaseOrderStatus.completed.value)


def _labels(db: Session, seat_ids: Collection[uuid.UUID]) -> list[str]:
    rows = db.exec(select(Seat.section, Seat.row, Seat.number).join(EventSeat, EventSeat.seat_id == Seat.id)
                   .where(EventSeat.id.in_(list(seat_ids))).order_by(EventSeat.idx)).all()
    return [seat_label(*row) for row in rows]


def _refuse_seats(db: Session, code: str, message: str, seat_ids: Collection[uuid.UUID]) -> ServiceError:
    labels = _labels(db, seat_ids)
    shown = ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10 else "")
    return ServiceError(code, f"{message}: {shown}.", seats=labels[:100], seat_ids=sorted(seat_ids)[:100],
                        count=len(labels))


def _lock_for(db: Session, *, session_ids: Collection[uuid.UUID], seat_ids: Collection[uuid.UUID],
              type_ids: Collection[uuid.UUID]) -> tuple[dict, dict, dict]:
    """Sessions, then ticket types (of the seats' price levels and the given ones), then seats."""
    sessions = lock_fresh(db, EventSession, session_ids)
    level_types = set(db.exec(select(PriceLevel.ticket_type_id)
                              .join(EventSeat, EventSeat.price_level_id == PriceLevel.id)
                              .where(EventSeat.id.in_(list(seat_ids)))).all()) if seat_ids else set()
    types = lock_fresh(db, TicketType, {*level_types, *type_ids})
    seats = lock_fresh(db, EventSeat, seat_ids)
    return sessions, types, seats


def _locked_order(db: Session, *, user_id: uuid.UUID, po_id: uuid.UUID, version: int | None) -> PurchaseOrder:
    po = order_for_manager(db, user_id=user_id, po_id=po_id)
    (po,) = lock_fresh(db, PurchaseOrder, [po.id]).values()
    check_version(po, version)
    return po


def _finish(db: Session, po: PurchaseOrder, *, types: dict, sessions: dict, capacity: dict, now: datetime) -> None:
    for session_id, delta in capacity.items():
        if delta:
            sessions[session_id].capacity += delta
            db.add(sessions[session_id])
    pricing.apply_rules(db, types.values())
    touch(po, now)
    db.add(po)
    db.flush()
    live_changes.bump_event_version(db=db, event_id=po.event_id, structure=True)


def confirm_purchase_order(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, now: datetime,
                           version: int | None = None) -> PurchaseOrder:
    """draft -> confirmed (owner/organizer): its seats become owned (supplier, line and unit
    cost recorded on each), its general-admission quantities raise the ticket types' quotas, and
    marked-up prices follow the new costs. Idempotent once confirmed.

    409 seat_not_available naming the seats already owned (through another order), returned,
    blocked, held back or sold; event_cancelled; not_draft for a cancelled order;
    version_conflict.
    """
    po = _locked_order(db, user_id=user_id, po_id=po_id, version=version)
    if po.status in OWNING:
        return po
    if po.status != PurchaseOrderStatus.draft.value:
        raise ServiceError("not_draft", f"Purchase order {po.number} is {po.status}.")
    event = db.get(Event, po.event_id)
    if event.status == "cancelled":
        raise ServiceError("event_cancelled", "This event is cancelled.")
    lines = lines_of(db, po.id)
    seat_line = {sid: lv.line for lv in lines for sid in lv.seat_ids}
    ga_lines = [lv.line for lv in lines if lv.line.ticket_type_id is not None]
    sessions, types, seats = _lock_for(db, session_ids={lv.line.session_id for lv in lines if lv.line.session_id},
                                       seat_ids=seat_line.keys(), type_ids={ln.ticket_type_id for ln in ga_lines})
    taken = [sid for sid, seat in seats.items()
             if seat.ownership != Ownership.not_owned.value or seat.status != SeatStatus.available.value]
    if taken or len(seats) != len(seat_line):
        raise _refuse_seats(db, "seat_not_available", "These seats cannot be bought: already owned through another "
                            "purchase order, returned, blocked, held back or sold", taken)
    capacity: dict[uuid.UUID, int] = {}
    owned = []
    for sid, seat in sorted(seats.items(), key=lambda kv: kv[1].idx):
        seat.ownership = Ownership.owned.value
        db.add(seat)
        note_change(db, seat, now)
        capacity[seat.session_id] = capacity.get(seat.session_id, 0) + int(in_inventory(seat))
        line = seat_line[sid]
        owned.append(OwnedSeat(event_seat_id=sid, event_id=po.event_id, supplier_id=po.supplier_id,
                               purchase_order_id=po.id, line_id=line.id, unit_cost_minor=line.unit_cost_minor,
                               currency=po.currency, owned_at=now))
    db.add_all(owned)
    for line in ga_lines:
        ticket_type = types[line.ticket_type_id]
        ticket_type.max_quantity = (ticket_type.max_quantity or 0) + line.quantity
        db.add(ticket_type)
    db.flush()
    po.status = PurchaseOrderStatus.confirmed.value
    po.approved_by, po.approved_at = user_id, now
    _finish(db, po, types=types, sessions=sessions, capacity=capacity, now=now)
    broker_postings.post_purchase_order(db=db, po=po, at=now, cause=f"user:{user_id}")
    return po


def receive_purchase_order(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, now: datetime,
                           received: Sequence[tuple[uuid.UUID, int]] | None = None,
                           version: int | None = None) -> PurchaseOrder:
    """Record delivery of tickets from the supplier, line by line (`received`: (line id,
    quantity) pairs; None = everything outstanding): partially_received, then completed when
    every line has all its units (returned ones count as settled).

    409 not_confirmed; 422 unknown_line, invalid_quantity, over_received.
    """
    po = _locked_order(db, user_id=user_id, po_id=po_id, version=version)
    if po.status not in (PurchaseOrderStatus.confirmed.value, PurchaseOrderStatus.partially_received.value):
        raise ServiceError("not_confirmed", f"Purchase order {po.number} is {po.status}; only a confirmed order "
                           "receives tickets.")
    lines = {lv.line.id: lv.line for lv in lines_of(db, po.id)}
    outstanding = {lid: ln.quantity - ln.returned_quantity - ln.received_quantity for lid, ln in lines.items()}
    wanted = dict(outstanding) if received is None else {}
    for line_id, qty in received or []:
        if line_id not in lines:
            raise invalid("unknown_line", "This purchase order has no such line.", line_id=line_id)
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise invalid("invalid_quantity", "Receive at least one unit per line.", line_id=line_id)
        wanted[line_id] = wanted.get(line_id, 0) + qty
    for line_id, qty in wanted.items():
        if qty > outstanding[line_id]:
            raise invalid("over_received", f"Only {outstanding[line_id]} unit(s) of this line are outstanding.",
                          line_id=line_id, outstanding=outstanding[line_id])
        lines[line_id].received_quantity += qty
        db.add(lines[line_id])
    done = all(ln.received_quantity + ln.returned_quantity >= ln.quantity for ln in lines.values())
    po.status = PurchaseOrderStatus.completed.value if done else PurchaseOrderStatus.partially_received.value
    po.closed_at = now if done else None
    touch(po, now)
    db.add(po)
    db.flush()
    return po


def _give_back(db: Session, po: PurchaseOrder, *, seat_ids: Collection[uuid.UUID], ga: dict[uuid.UUID, int],
               now: datetime, returned: bool) -> None:
    """Take seats and general-admission units out of inventory, refusing anything held or sold:
    `returned` marks them returned to the supplier for good, else (a cancelled order) not owned."""
    owned = {r.event_seat_id: r for r in db.exec(select(OwnedSeat).where(
        OwnedSeat.purchase_order_id == po.id, OwnedSeat.event_seat_id.in_(list(seat_ids)),
        OwnedSeat.returned_at.is_(None))).all()} if seat_ids else {}
    if len(owned) != len(seat_ids):
        raise invalid("not_in_order", "Some seats are not owned through this purchase order (or were returned).",
                      seat_ids=sorted(set(seat_ids) - set(owned))[:100])
    ga_lines = [lv.line for lv in lines_of(db, po.id) if lv.line.ticket_type_id is not None]
    session_ids = set(db.exec(select(EventSeat.session_id).where(EventSeat.id.in_(list(seat_ids)))).all()) \
        if seat_ids else set()
    sessions, types, seats = _lock_for(db, session_ids=session_ids, seat_ids=seat_ids, type_ids=ga.keys())
    taken = [sid for sid, seat in seats.items() if not is_free(seat, now)
             and not (seat.status in (SeatStatus.held.value, SeatStatus.blocked.value) and seat.hold_id is None)]
    if taken:
        raise _refuse_seats(db, "inventory_taken", "These seats are held or sold and cannot go back", taken)
    used = usage.ticket_type_usage(db=db, ticket_types=[types[t] for t in ga], now=now)
    sold = sold_by_line(db, [ln.id for ln in ga_lines])
    for type_id, qty in ga.items():
        free = (types[type_id].max_quantity or 0) - used[type_id].taken
        of_order = sum(ln.quantity - ln.returned_quantity - sold.get(ln.id, 0)
                       for ln in ga_lines if ln.ticket_type_id == type_id)
        if qty > min(free, of_order):
            raise ServiceError("inventory_taken", f"Only {max(min(free, of_order), 0)} unsold, unheld unit(s) of "
                               f"{types[type_id].name!r} can go back.", ticket_type_id=type_id,
                               available=max(min(free, of_order), 0))
    capacity: dict[uuid.UUID, int] = {}
    lines = {ln.id: ln for ln in ga_lines}
    for sid, seat in seats.items():
        was = in_inventory(seat)
        set_free(seat)
        seat.ownership = Ownership.returned.value if returned else Ownership.not_owned.value
        db.add(seat)
        note_change(db, seat, now)
        capacity[seat.session_id] = capacity.get(seat.session_id, 0) - int(was)
        row = owned[sid]
        if returned:
            row.returned_at = now
            db.add(row)
            line = lines.get(row.line_id) or db.get(PurchaseOrderLine, row.line_id)
            lines[line.id] = line
            line.returned_quantity += 1
            po.returned_cost_minor += row.unit_cost_minor
        else:
            db.delete(row)
    for type_id, qty in ga.items():
        types[type_id].max_quantity -= qty
        db.add(types[type_id])
        left = qty
        for line in sorted((ln for ln in ga_lines if ln.ticket_type_id == type_id), key=lambda ln: -ln.position):
            take = min(left, line.quantity - line.returned_quantity - sold.get(line.id, 0))
            if take > 0 and returned:
                line.returned_quantity += take
                po.returned_cost_minor += take * line.unit_cost_minor
            left -= max(take, 0)
    db.add_all(lines.values())
    db.flush()
    _finish(db, po, types=types, sessions=sessions, capacity=capacity, now=now)


def return_inventory(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, now: datetime,
                     seat_ids: Sequence[uuid.UUID] | None = None, quantity: int | None = None,
                     ticket_type_id: uuid.UUID | None = None, version: int | None = None) -> PurchaseOrder:
    """Give unsold seats and/or general-admission units of a confirmed order back to the
    supplier: returned, never sellable again; their cost is credited on the order.

    409 inventory_taken (seats named) when any is held, reserved or sold; not_confirmed; 422
    nothing_to_return, not_in_order, invalid_quantity, ticket_type_required.
    """
    po = _locked_order(db, user_id=user_id, po_id=po_id, version=version)
    if po.status not in OWNING:
        raise ServiceError("not_confirmed", f"Purchase order {po.number} is {po.status}; nothing of it is owned.")
    ids = sorted(set(seat_ids or []))
    if seat_ids is not None and len(ids) != len(seat_ids):
        raise invalid("duplicate_seat", "A seat is listed twice.", field="seat_ids")
    ga: dict[uuid.UUID, int] = {}
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise invalid("invalid_quantity", "quantity is a whole number of at least 1.", field="quantity")
        type_ids = sorted({lv.line.ticket_type_id for lv in lines_of(db, po.id) if lv.line.ticket_type_id})
        if ticket_type_id is None and len(type_ids) == 1:
            ticket_type_id = type_ids[0]
        if ticket_type_id not in type_ids:
            raise invalid("ticket_type_required", "Say which general-admission ticket type of this order to return "
                          "(ticket_type_id).", field="ticket_type_id")
        ga[ticket_type_id] = quantity
    if not ids and not ga:
        raise invalid("nothing_to_return", "Give seat_ids or a quantity to return.")
    before = po.returned_cost_minor
    _give_back(db, po, seat_ids=ids, ga=ga, now=now, returned=True)
    broker_postings.post_stock_returned(db=db, po=po, amount=po.returned_cost_minor - before, at=now,
                                        cause=f"user:{user_id}")
    return po


def cancel_purchase_order(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, now: datetime,
                          version: int | None = None) -> PurchaseOrder:
    """Cancel a draft, or a confirmed order nothing was sold from and nothing paid on: its
    seats go back to not owned and its places leave the quotas. Idempotent once cancelled.

    409 order_has_sales, order_has_payments, inventory_taken (seats named), not_cancellable.
    """
    po = _locked_order(db, user_id=user_id, po_id=po_id, version=version)
    if po.status == PurchaseOrderStatus.cancelled.value:
        return po
    if po.status != PurchaseOrderStatus.draft.value:
        if po.status not in OWNING:
            raise ServiceError("not_cancellable", f"Purchase order {po.number} is {po.status}.")
        if db.exec(select(func.count()).select_from(TicketSale)
                   .where(TicketSale.purchase_order_id == po.id)).one():
            raise ServiceError("order_has_sales", f"Tickets of {po.number} were sold; return its unsold inventory "
                               "instead.")
        if po.paid_minor > 0:
            raise ServiceError("order_has_payments", f"{po.number} has payments to the supplier; return its "
                               "inventory instead.")
        seat_ids = sorted(db.exec(select(OwnedSeat.event_seat_id).where(OwnedSeat.purchase_order_id == po.id,
                                                                        OwnedSeat.returned_at.is_(None))).all())
        ga: dict[uuid.UUID, int] = {}
        for lv in lines_of(db, po.id):
            if lv.line.ticket_type_id is not None and lv.line.quantity > lv.line.returned_quantity:
                ga[lv.line.ticket_type_id] = ga.get(lv.line.ticket_type_id, 0) + lv.line.quantity \
                    - lv.line.returned_quantity
        _give_back(db, po, seat_ids=seat_ids, ga=ga, now=now, returned=False)
        broker_postings.post_stock_returned(db=db, po=po, amount=po.total_cost_minor - po.returned_cost_minor, at=now,
                                            cause=f"user:{user_id}", cancelled=True)
    po.status = PurchaseOrderStatus.cancelled.value
    po.cancelled_at = now
    touch(po, now)
    db.add(po)
    db.flush()
    return po
