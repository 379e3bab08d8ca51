"""Cancelling an order, whole or ticket by ticket, under the event's cancellation policy."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from ticketing.models import (
    CheckIn,
    Event,
    EventSession,
    Order,
    OrderStatus,
    PlaceClaim,
    Ticket,
    TicketStatus,
)
from ticketing.services.accounts.organizations import MANAGER_ROLES, require_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.ledger import broker_postings
from ticketing.services.presales import access as presale_access
from ticketing.services.promotions import redemptions
from ticketing.services.promotions.ticket_prices import ticket_prices
from ticketing.services.sales import usage
from ticketing.services.sales.places import (
    bump_version,
    delete_claims,
    lock_capacity,
    lock_fresh,
    session_demand,
    sessions_of_types,
)
from ticketing.services.sales.ticket_holders import reissue_code
from ticketing.services.seating import seat_claims


@dataclass(frozen=True)
class Cancellation:
    """What a cancellation did: the order after it, the tickets cancelled, and the money."""

    order: Order
    ticket_ids: list[uuid.UUID]
    refund_minor: int  # to pay back (0 for an unpaid order)
    fee_minor: int  # kept under the event's cancellation fee


def checked_in_ticket_ids(db: Session, ticket_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Tickets among `ticket_ids` already admitted at the door (to any of their sessions).

    Exact when the caller holds the tickets' row locks: admission locks the ticket too.
    """
    if not ticket_ids:
        return set()
    return set(db.exec(select(CheckIn.ticket_id).where(CheckIn.ticket_id.in_(sorted(set(ticket_ids))))).all())


def fee_for(price_minor: int, fee_percent: int) -> int:
    """The cancellation fee of one ticket, rounded half up to a whole minor unit."""
    return (price_minor * fee_percent + 50) // 100


def paid_prices(db: Session, order_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """{ticket_id: what was paid for it}: its line's unit price less its share of the line's
    discount (promotions.ticket_prices)."""
    return {ticket_id: price.paid_minor for ticket_id, price in ticket_prices(db, [order_id]).items()}

def _first_starts(db: Session, sessions_of: dict[uuid.UUID, list[uuid.UUID]]) -> dict[uuid.UUID, datetime]:
    """{ticket_type_id: start of its earliest session} in one query."""
    all_ids = {sid for ids in sessions_of.values() for sid in ids}
    starts = dict(
        db.exec(select(EventSession.id, EventSession.starts_at).where(EventSession.id.in_(list(all_ids)))).all()
    )
    return {tid: min(starts[s] for s in ids) for tid, ids in sessions_of.items() if ids}


def _shrink_claims(db: Session, *, order_id: uuid.UUID, column, target: uuid.UUID, by: int) -> None:
    """Take `by` units off the order's claim on one session or quota (bulk statements: a
    concurrent sweep may delete an expired claim under us; quantity must stay > 0)."""
    owner = (PlaceClaim.order_id == order_id) & (column == target)
    db.exec(delete(PlaceClaim).where(owner, PlaceClaim.quantity <= by))
    db.exec(update(PlaceClaim).where(owner, PlaceClaim.quantity > by).values(quantity=PlaceClaim.quantity - by))
    usage.forget_usage(db)  # figures counted earlier in this transaction no longer hold


def _check_policy(
    event: Event, chosen: Sequence[Ticket], first_start: dict[uuid.UUID, datetime], now: datetime
) -> None:
    """409 `not_cancellable` when the event forbids it or a ticket's deadline has passed."""
    if not event.allow_cancellation:
        raise ServiceError("not_cancellable", "This event does not allow cancellations.", reason="not_allowed")
    window = timedelta(hours=event.cancellation_deadline_hours)
    for ticket in chosen:
        deadline = first_start[ticket.ticket_type_id] - window
        if now > deadline:
            raise ServiceError(
                "not_cancellable",
                f"Cancellations close {event.cancellation_deadline_hours} h before the first session.",
                reason="deadline_passed", ticket_id=ticket.id, deadline=deadline.isoformat(),
            )


def cancel_order(
    *,
    db: Session,
    order_id: uuid.UUID,
    user_id: uuid.UUID,
    ticket_ids: Sequence[uuid.UUID] | None = None,
    now: datetime,
    by_organizer: bool = False,
) -> Cancellation:
    """Cancel the whole order or the given tickets and give their places back.

    The buyer is bound by the event's policy (allowed at all, deadline before the ticket's
    first session, fee kept from the refund). An owner/organizer of the event's organization
    (`by_organizer`) may always cancel and refunds in full.
    """
    order = lock_fresh(db, Order, [order_id]).get(order_id)
    if order is None:
        raise not_found("order")
    event = db.get(Event, order.event_id)
    if by_organizer:
        try:
            require_role(db=db, user_id=user_id, organization_id=event.organization_id, roles=MANAGER_ROLES)
        except ServiceError as exc:
            if exc.code == "not_found":  # a stranger: the same answer as for an unknown order
                raise not_found("order") from None
            raise
    elif order.user_id != user_id:
        raise not_found("order")
    if order.status not in (OrderStatus.pending.value, OrderStatus.confirmed.value):
        raise ServiceError("not_cancellable", f"This order is {order.status}.", reason=order.status)

    tickets = list(
        db.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at, Ticket.id)).all()
    )
    if ticket_ids is None:
        chosen = [t for t in tickets if t.status != TicketStatus.cancelled.value]
    else:
        if not ticket_ids:
            raise invalid("invalid_input", "Name at least one ticket to cancel.", field="ticket_ids")
        by_id = {t.id: t for t in tickets}
        unknown = [tid for tid in ticket_ids if tid not in by_id]
        if unknown:
            raise ServiceError("not_found", "No such ticket in this order.", status=404, ticket_id=unknown[0])
        chosen = [by_id[tid] for tid in dict.fromkeys(ticket_ids)]
        for ticket in chosen:
            if ticket.status == TicketStatus.cancelled.value:
                raise ServiceError("not_cancellable", "This ticket is already cancelled.", reason="cancelled",
                                   ticket_id=ticket.id)
    # Lock the tickets before reading their check-ins: a gate admitting one of them right now
    # holds its lock, so either we see its check-in or it sees the ticket cancelled.
    locked = lock_fresh(db, Ticket, [t.id for t in chosen])
    chosen = [locked[t.id] for t in chosen]
    admitted = checked_in_ticket_ids(db, [t.id for t in chosen])
    if admitted:
        raise ServiceError("already_checked_in", "A ticket already used at the door cannot be cancelled.",
                           ticket_id=sorted(admitted)[0])

    quantities: dict[uuid.UUID, int] = defaultdict(int)
    for ticket in chosen:
        quantities[ticket.ticket_type_id] += 1
    sessions_of = sessions_of_types(db, quantities)
    if not by_organizer:
        _check_policy(event, chosen, _first_starts(db, sessions_of), now)

    sessions, types = lock_capacity(db, quantities=quantities, sessions_of=sessions_of)
    prices = paid_prices(db, order.id)
    refund = fee = 0
    if order.status == OrderStatus.confirmed.value:
        for session_id, qty in session_demand(quantities, sessions_of).items():
            sessions[session_id].sold -= qty
            db.add(sessions[session_id])
        for type_id, qty in quantities.items():
            types[type_id].sold -= qty
            db.add(types[type_id])
        for ticket in chosen:
            price = prices[ticket.id]
            kept = 0 if by_organizer else fee_for(price, event.cancellation_fee_percent)
            refund, fee = refund + price - kept, fee + kept
    else:  # unpaid: give back the claimed places and lower the amount due
        for session_id, qty in session_demand(quantities, sessions_of).items():
            _shrink_claims(db, order_id=order.id, column=PlaceClaim.session_id, target=session_id, by=qty)
        for type_id, qty in quantities.items():
            _shrink_claims(db, order_id=order.id, column=PlaceClaim.ticket_type_id, target=type_id, by=qty)
        order.total_minor -= sum(prices[t.id] for t in chosen)

    for ticket in chosen:
        ticket.status = TicketStatus.cancelled.value
        reissue_code(db, ticket)  # the code in the guest's hands is now refused at the door
        db.add(ticket)
    db.flush()
    seat_claims.free_ticket_seats(db, ticket_ids=[t.id for t in chosen], now=now)
    broker_postings.post_cost_returned(db=db, order=order, ticket_ids=[t.id for t in chosen], at=now,
                                       cause=f"user:{user_id}")
    remaining = db.exec(
        select(func.count()).select_from(Ticket).where(
            Ticket.order_id == order.id, Ticket.status != TicketStatus.cancelled.value
        )
    ).one()
    if remaining == 0:
        order.status = OrderStatus.cancelled.value
        order.cancelled_at = now
        delete_claims(db, order_id=order.id)
        if order.promo_code_id is not None:
            redemptions.release_for_order(db, order.id)  # cancelled whole: the code's use comes back
        presale_access.release_for_order(db, order.id)  # and an access code's
    db.add(order)
    db.flush()
    bump_version(db, order.event_id)
    return Cancellation(order=order, ticket_ids=[t.id for t in chosen], refund_minor=refund, fee_minor=fee)
