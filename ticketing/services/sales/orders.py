"""Orders: checkout of a hold, confirmation on payment, expiry, reading.

A pending order keeps its places (claims expiring at its payment deadline); confirmation moves
them to the `sold` counters. Cancellation lives in services/sales/cancellation.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from ticketing.db import as_loaded, insert_rows, pg_driver
from ticketing.models import (
    Event,
    EventSession,
    EventStatus,
    Hold,
    HoldItem,
    HoldStatus,
    Order,
    OrderItem,
    OrderNumberCounter,
    OrderStatus,
    PlaceClaim,
    Ticket,
    TicketStatus,
    TicketType,
    User,
)
from ticketing.models.base import new_id
from ticketing.services.broker import sale_costs
from ticketing.services.door import short_codes
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.live_changes import stage_counts
from ticketing.services.presales import access as presale_access
from ticketing.services.promotions import redemptions
from ticketing.services.promotions.discounts import Line
from ticketing.services.sales import order_store
from ticketing.services.sales.availability import sale_refusal
from ticketing.services.sales.hold_rules import MAX_TOTAL_MINOR
from ticketing.services.sales.holds import hold_items
from ticketing.services.sales.places import (
    bump_version,
    check_places,
    claim_rows,
    delete_claims,
    lock_bundles,
    lock_capacity,
    lock_fresh,
    order_quantities,
    session_demand,
    sessions_of_types,
)
from ticketing.services.sales.ticket_holders import Attendee, holders_for, new_ticket_code
from ticketing.services.sales.waitlist_gate import refuse_while_waiting
from ticketing.services.seating import seat_claims

# An expired hold can still be checked out (re-taken at today's price) for this long; after
# that it is gone for good, whether or not the sweeper has tidied it yet.
RETAKE_GRACE = timedelta(hours=1)


def next_order_number(db: Session, now: datetime) -> str:
    """ORD-YYYYMMDD-NNNN: one atomic upsert on the day's counter, whose row lock serializes
    concurrent checkouts of the same day until commit (so numbers never repeat or skip)."""
    day = now.astimezone(timezone.utc).strftime("%Y%m%d")
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OrderNumberCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": OrderNumberCounter.last + 1})
        .returning(OrderNumberCounter.last)
    )
    number = db.exec(stmt).scalar_one()
    return f"ORD-{day}-{number:04d}"


def _confirm_places(
    db: Session,
    *,
    order: Order,
    sessions: Mapping[uuid.UUID, EventSession],
    types: Mapping[uuid.UUID, TicketType],
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    now: datetime,
) -> None:
    """Move places to the sold counters (rows locked, claims already gone); tickets valid."""
    for session_id, qty in session_demand(quantities, sessions_of).items():
        sessions[session_id].sold += qty
        db.add(sessions[session_id])
    for type_id, qty in quantities.items():
        types[type_id].sold += qty
        db.add(types[type_id])
    for ticket in db.exec(
        select(Ticket).where(Ticket.order_id == order.id, Ticket.status == TicketStatus.pending.value)
    ).all():
        ticket.status = TicketStatus.valid.value
        db.add(ticket)
    order.status = OrderStatus.confirmed.value
    order.confirmed_at = now
    db.add(order)
    db.flush()


def checkout(
    *, db: Session, hold_id: uuid.UUID, user_id: uuid.UUID, attendees: Sequence[Attendee] | None, now: datetime
) -> Order:
    """Turn the caller's hold into a pending order (confirmed at once when the total is zero).

    A live hold keeps its locked prices and discount. An expired one is re-taken at today's
    prices when its places are still free (the order's item prices show it), else 409
    `hold_expired`; its promo code is then redeemed anew (its refusals as for a hold).

    Most live paid holds check out on the claim counters (_checkout_on_counters); everything
    else, and every refusal, is decided here under the locks of what it counts.
    """
    fast = _checkout_on_counters(db, hold_id=hold_id, user_id=user_id, attendees=attendees, now=now)
    if fast is not None:
        return fast
    hold = lock_fresh(db, Hold, [hold_id]).get(hold_id)
    if hold is None or hold.user_id != user_id:
        raise not_found("hold")
    if hold.status == HoldStatus.converted.value:
        existing = db.exec(select(Order.id).where(Order.hold_id == hold.id)).first()
        raise ServiceError("hold_converted", "This hold is already an order.", order_id=existing)
    live = hold.expires_at > now
    if hold.status != HoldStatus.active.value or now - hold.expires_at > RETAKE_GRACE:
        raise ServiceError("hold_expired", "Your hold has expired; please choose your tickets again.")
    event = db.get(Event, hold.event_id)
    if event.status != EventStatus.published.value:
        # A price locked in a live hold does not outlive the event being called off.
        raise invalid("not_on_sale", "This event is not on sale any more.", reason=f"event_{event.status}")
    items = hold_items(db=db, hold_id=hold.id)
    quantities = {i.ticket_type_id: i.quantity for i in items}
    buyer = db.get(User, user_id)
    holders = holders_for(attendees, sum(quantities.values()), (buyer.name, buyer.email))

    hold.status = HoldStatus.converted.value  # written now, before the session locks are taken
    db.add(hold)
    db.flush()
    # Under the locks, the inclusions as they are now: an expired hold's ticket type may have
    # moved to other sessions since (allowed while it has nothing live), and we claim anew.
    locked = lock_bundles(db, quantities=quantities, sessions_of=sessions_of_types(db, quantities), now=now)
    sessions_of, sessions, types = locked.sessions_of, locked.sessions, locked.types
    # Recount without our own claims even for a live hold: a transaction whose clock already
    # passed our expiry may have taken the places meanwhile.
    delete_claims(db, hold_id=hold.id)
    if not live:
        for type_id in quantities:
            reason = sale_refusal(types[type_id], event, now)
            if reason is not None:
                raise ServiceError("hold_expired", "Your hold has expired and these tickets are no longer on sale.",
                                   ticket_type_id=type_id, reason=reason)
        # Re-taken, it is a new hold: freed places go to the waiting list first.
        refuse_while_waiting(db, type_ids=sorted(quantities), error_code="hold_expired",
                             message="Your hold has expired and its places go to the waiting list first.")
    check_places(db, sessions=sessions, types=types, quantities=quantities, sessions_of=sessions_of, now=now,
                 error_code="hold_expired")
    prices = {i.ticket_type_id: i.unit_price_minor if live else types[i.ticket_type_id].price_minor for i in items}
    discounts = {i.ticket_type_id: i.discount_minor for i in items} if live else {}
    # An expired hold re-taken meets the presales as a new hold would (with the code it had).
    presale_grant = None if live else presale_access.regrant(db, event_id=hold.event_id, hold_id=hold.id,
                                                             quantities=quantities, now=now)
    quote = None
    if hold.promo_code_id is not None and not live:
        redemptions.release_for_hold(db, hold.id)  # the lapsed use; a new one at today's prices
        quote = redemptions.redeem(db=db, code_id=hold.promo_code_id, user_id=user_id,
                                   lines=[Line(t, q, prices[t]) for t, q in quantities.items()],
                                   currency=types[items[0].ticket_type_id].currency, now=now)
        discounts = quote.discounts
    discount_minor = sum(discounts.values())
    total_minor = sum(prices[t] * q for t, q in quantities.items()) - discount_minor
    if total_minor > MAX_TOTAL_MINOR:
        raise invalid("total_too_large", "This order's total is too large; buy fewer tickets at once.")

    order = Order(
        id=new_id(),
        number=next_order_number(db, now),
        event_id=hold.event_id,
        user_id=user_id,
        hold_id=hold.id,
        status=OrderStatus.pending.value,
        currency=hold.currency if live else types[items[0].ticket_type_id].currency,
        total_minor=total_minor,
        promo_code_id=hold.promo_code_id,
        discount_minor=discount_minor,
        payment_due_at=now + timedelta(minutes=event.payment_minutes),
        created_at=now,
    )
    lines, tickets = _lines_and_tickets(order_id=order.id, event_id=order.event_id, items=items, prices=prices,
                                        holders=holders, now=now, discounts=discounts)
    claims = [] if order.total_minor == 0 else claim_rows(
        db, event_id=order.event_id, quantities=quantities, sessions_of=sessions_of, types=types,
        expires_at=order.payment_due_at, order_id=order.id)
    # The order with its lines and claims in one statement on PostgreSQL, then its tickets (whose
    # short codes may collide and be drawn again).
    insert_rows(db, [(Order, [order.model_dump()]), (OrderItem, lines), (PlaceClaim, claims)])
    short_codes.insert_tickets(db, tickets)
    make_transient_to_detached(order)
    db.add(order)  # the persistent row it now is (no second INSERT)
    if hold.promo_code_id is not None:  # the code's use now lives with the order
        use_until = redemptions.FOREVER if order.total_minor == 0 else order.payment_due_at
        if quote is not None:
            redemptions.record(db, quote=quote, user_id=user_id, hold_id=hold.id, order_id=order.id,
                               expires_at=use_until, now=now)
        else:
            redemptions.move_to_order(db, hold_id=hold.id, order_id=order.id, expires_at=use_until)
    presale_access.carry_to_order(db, grant=presale_grant, user_id=user_id, hold_id=hold.id, order_id=order.id,
                                  use_until=redemptions.FOREVER if order.total_minor == 0 else order.payment_due_at,
                                  now=now)
    if order.total_minor == 0:
        _confirm_places(db, order=order, sessions=sessions, types=types, quantities=quantities,
                        sessions_of=sessions_of, now=now)
    seat_claims.checkout_seats(db, hold=hold, order=order, now=now)
    if order.total_minor == 0:
        sale_costs.record_sale_costs(db, order=order, now=now)
    bump_version(db, order.event_id)
    return order


def _lines_and_tickets(
    *, order_id: uuid.UUID, event_id: uuid.UUID, items: Sequence[HoldItem | order_store.Line],
    prices: Mapping[uuid.UUID, int], holders: Sequence[tuple[str, str]], now: datetime,
    discounts: Mapping[uuid.UUID, int] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The order's line rows and one ticket row per unit, holders in order, codes signed."""
    lines, tickets = [], []
    # Ascending ids: tickets sort by (created_at, id), so they list in attendee order.
    ticket_ids = iter(sorted(uuid.uuid4() for _ in holders))
    unit = 0
    for item in items:
        line = {"id": new_id(), "order_id": order_id, "ticket_type_id": item.ticket_type_id,
                "quantity": item.quantity, "unit_price_minor": prices[item.ticket_type_id],
                "discount_minor": (discounts or {}).get(item.ticket_type_id, 0)}
        lines.append(line)
        for _ in range(item.quantity):
            name, email = holders[unit]
            unit += 1
            ticket_id = next(ticket_ids)
            # Every column of models.Ticket (insert_rows needs them all); holders_for checked the lengths.
            tickets.append({
                "id": ticket_id, "order_id": order_id, "order_item_id": line["id"],
                "ticket_type_id": item.ticket_type_id, "event_id": event_id, "holder_name": name,
                "holder_email": email, "code": new_ticket_code(ticket_id), "code_version": 1,
                "short_code": short_codes.new_short_code(), "status": TicketStatus.pending.value, "created_at": now,
            })
    return lines, tickets


def _checkout_on_counters(db: Session, *, hold_id: uuid.UUID, user_id: uuid.UUID,
                          attendees: Sequence[Attendee] | None, now: datetime) -> Order | None:
    """The caller's live hold of a paid basket as a pending order: one plain read locking the
    hold, then one statement (order_store); None when the exact checkout must decide (SQLite,
    someone else's or no hold, not active, an event not on sale, seats (seen by the read, so
    the statement is not tried), a free order, a hold near its expiry, claims not as granted).
    Invalid attendees raise as on the exact path."""
    raw = pg_driver(db)
    if raw is None:
        return None
    hold = order_store.read_hold(raw, hold_id)
    if (hold is None or hold.user_id != user_id or hold.status != HoldStatus.active.value
            or hold.event_status != EventStatus.published.value or hold.seated or hold.promo
            or hold.expires_at <= now + order_store.CLOCK_MARGIN):
        return None
    items = hold.lines
    total_minor = sum(i.unit_price_minor * i.quantity for i in items)
    if total_minor == 0 or total_minor > MAX_TOTAL_MINOR:
        return None
    holders = holders_for(attendees, sum(i.quantity for i in items), hold.buyer)
    prices = {i.ticket_type_id: i.unit_price_minor for i in items}
    values = {"id": new_id(), "event_id": hold.event_id, "user_id": user_id, "hold_id": hold_id,
              "status": OrderStatus.pending.value, "currency": hold.currency, "total_minor": total_minor,
              "payment_due_at": now + timedelta(minutes=hold.payment_minutes), "payment_intent_id": None,
              "created_at": now, "confirmed_at": None, "cancelled_at": None}
    lines, tickets = _lines_and_tickets(order_id=values["id"], event_id=hold.event_id, items=items, prices=prices,
                                        holders=holders, now=now)
    converted = order_store.convert(raw, order=values, lines=lines, tickets=tickets, now=now)
    if converted is None:
        return None
    # The statement skipped any ticket whose short code was taken: those go in with new codes.
    short_codes.insert_tickets(db, [t for t in tickets if t["id"] not in converted.ticket_ids])
    order = as_loaded(Order, **values, number=converted.number)
    make_transient_to_detached(order)
    db.add(order)  # the persistent row the statement wrote (no second INSERT)
    # Rows of this transaction's session that the statement changed (a caller may have loaded them).
    _refresh_loaded(db, Hold, hold_id, status=HoldStatus.converted.value)
    _refresh_loaded(db, Event, hold.event_id, version=converted.version)
    stage_counts(db, event_id=hold.event_id, version=converted.version, at=now, sessions=converted.sessions,
                 quotas=converted.quotas)
    return order


def _refresh_loaded(db: Session, model: type, row_id: uuid.UUID, **values: Any) -> None:
    loaded = db.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


def confirm_order(*, db: Session, order_id: uuid.UUID, now: datetime, payment_reference: str | None = None) -> Order:
    """Payment succeeded: pending -> confirmed, places move to the sold counters.

    Idempotent for an already confirmed order. After the payment deadline (status pending or
    expired) the places are re-checked under lock: 409 `order_expired_places_gone` when they
    were taken meanwhile (the caller refunds); 409 `order_cancelled` for a cancelled order.
    """
    order = lock_fresh(db, Order, [order_id]).get(order_id)
    if order is None:
        raise not_found("order")
    if order.status == OrderStatus.confirmed.value:
        return order
    if order.status == OrderStatus.cancelled.value:
        raise ServiceError("order_cancelled", "This order was cancelled; the payment must be refunded.")
    quantities = order_quantities(db, order.id, statuses=[TicketStatus.pending.value])
    sessions_of = sessions_of_types(db, quantities)
    sessions, types = lock_capacity(db, quantities=quantities, sessions_of=sessions_of)
    delete_claims(db, order_id=order.id)
    check_places(db, sessions=sessions, types=types, quantities=quantities, sessions_of=sessions_of, now=now,
                 error_code="order_expired_places_gone")
    if payment_reference is not None:
        order.payment_intent_id = payment_reference
    _confirm_places(db, order=order, sessions=sessions, types=types, quantities=quantities,
                    sessions_of=sessions_of, now=now)
    if order.promo_code_id is not None:
        # Paid: its use never lapses. (A late payment of an expired order whose places were
        # still free keeps its use even if the code was redeemed up to its limit meanwhile.)
        redemptions.confirm_for_order(db, order.id)
    presale_access.confirm_for_order(db, order.id)  # an access code's use, likewise
    seat_claims.confirm_order_seats(db, order=order, now=now)
    sale_costs.record_sale_costs(db, order=order, now=now)
    bump_version(db, order.event_id)
    return order


def expire_orders(*, db: Session, now: datetime) -> list[Order]:
    """Mark pending orders past their deadline expired (tidying only: their claims stopped
    counting at the deadline; the sweeper deletes them under their sessions' locks). Orders
    locked by a running confirmation or cancellation are skipped; the next sweep gets them.
    A late payment can still confirm an expired order while its places are free."""
    candidates = select(Order.id).where(Order.status == OrderStatus.pending.value, Order.payment_due_at <= now)
    ids = list(db.exec(candidates).all())
    if not ids:
        return []
    rows = db.exec(
        select(Order).where(Order.id.in_(sorted(ids))).order_by(Order.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).all()
    expired = []
    for order in rows:
        if order.status != OrderStatus.pending.value or order.payment_due_at > now:
            continue
        order.status = OrderStatus.expired.value
        db.add(order)
        expired.append(order)
    for event_id in sorted({o.event_id for o in expired}):
        bump_version(db, event_id)
    return expired


def get_order(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID) -> Order:
    """The caller's order; `not_found` for anyone else's."""
    order = db.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise not_found("order")
    return order


def is_buyer(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the order exists and the user placed it."""
    return db.exec(select(Order.user_id).where(Order.id == order_id)).first() == user_id


def order_state(order: Order, now: datetime) -> str:
    """The status a customer sees at `now`: an unpaid order past its deadline is expired even
    before the sweeper marks it so."""
    if order.status == OrderStatus.pending.value and order.payment_due_at is not None and order.payment_due_at <= now:
        return OrderStatus.expired.value
    return order.status


def order_items(*, db: Session, order_id: uuid.UUID) -> list[OrderItem]:
    return list(db.exec(select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)).all())


def order_tickets(*, db: Session, order_id: uuid.UUID) -> list[Ticket]:
    return list(
        db.exec(select(Ticket).where(Ticket.order_id == order_id).order_by(Ticket.created_at, Ticket.id)).all()
    )


def list_orders_for_user(*, db: Session, user_id: uuid.UUID) -> list[Order]:
    """The user's orders, newest first."""
    return list(
        db.exec(
            select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.number.desc())
        ).all()
    )
