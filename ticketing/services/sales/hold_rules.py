"""The rules a basket must pass before any place is counted: well-formed quantities, sale
windows and per-order limits, the attendee rules (one place per session when the event asks,
prerequisite sessions). Shared by both ways a hold is taken (holds.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import Event, SessionPrerequisite, TicketType
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.sales.availability import sale_refusal
from ticketing.services.sales.places import live_session_ids

# Far above any real order line, far below anything that could overflow a counter.
MAX_UNITS_PER_LINE = 1000
MAX_LINES = 50
# Amount columns are 32-bit integers: refuse a basket whose total would not fit.
MAX_TOTAL_MINOR = 2**31 - 1


def normalize_items(items: Sequence[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, int]:
    """{ticket_type_id: quantity}, lines of the same type merged; 422 `invalid_quantity`."""
    if not items:
        raise invalid("invalid_quantity", "Choose at least one ticket.")
    if len(items) > MAX_LINES:
        raise invalid("invalid_quantity", f"An order has at most {MAX_LINES} lines.")
    merged: dict[uuid.UUID, int] = defaultdict(int)
    for type_id, qty in items:
        # bool is an int subclass; True is not a quantity.
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0 or qty > MAX_UNITS_PER_LINE:
            raise invalid(
                "invalid_quantity",
                f"Quantities must be whole numbers from 1 to {MAX_UNITS_PER_LINE}.",
                ticket_type_id=type_id,
            )
        merged[type_id] += qty
    if any(q > MAX_UNITS_PER_LINE for q in merged.values()):
        raise invalid("invalid_quantity", f"Quantities must be whole numbers from 1 to {MAX_UNITS_PER_LINE}.")
    return dict(merged)


def check_sale_rules(
    *, event: Event, types: Mapping[uuid.UUID, TicketType], quantities: Mapping[uuid.UUID, int], now: datetime
) -> None:
    """422s of a basket: sale window and active flag, per-type min/max, per-order maximum."""
    for type_id in sorted(quantities, key=lambda t: (types[t].sort_order, str(t))):
        t, qty = types[type_id], quantities[type_id]
        reason = sale_refusal(t, event, now)
        if reason is not None:
            raise invalid(
                "not_on_sale", f"'{t.name}' is not on sale ({reason}).", ticket_type_id=type_id, reason=reason
            )
        if qty < t.min_per_order or (t.max_per_order is not None and qty > t.max_per_order):
            raise invalid(
                "quantity_out_of_range",
                f"Buy between {t.min_per_order} and {t.max_per_order or MAX_UNITS_PER_LINE} '{t.name}' ticket(s).",
                ticket_type_id=type_id,
                min=t.min_per_order,
                max=t.max_per_order,
            )
    total = sum(quantities.values())
    if total > event.max_tickets_per_order:
        raise invalid(
            "max_per_order_exceeded",
            f"At most {event.max_tickets_per_order} tickets per order.",
            max=event.max_tickets_per_order,
        )
    if len({types[t].currency for t in quantities}) > 1:
        raise invalid("mixed_currency", "Tickets in different currencies must be bought separately.")


def check_attendance_rules(
    db: Session, *, event: Event, user_id: uuid.UUID, need: Mapping[uuid.UUID, int], now: datetime,
    prerequisites: Sequence[tuple[uuid.UUID, uuid.UUID]] | None = None,
) -> None:
    """409 `already_attending` (event setting) and `prerequisite_missing`.

    `prerequisites`: (session, prerequisite) pairs of the needed sessions when the caller has
    read them already (lock_bundles does), else they are read here."""
    if prerequisites is None:
        prerequisites = db.exec(
            select(SessionPrerequisite.session_id, SessionPrerequisite.prerequisite_session_id).where(
                SessionPrerequisite.session_id.in_(list(need))
            )
        ).all()
    if not event.one_ticket_per_attendee and not prerequisites:
        return  # nothing to check against the user's tickets: spare the query
    live = live_session_ids(db, user_id=user_id, event_id=event.id, now=now)
    if event.one_ticket_per_attendee:
        for session_id in sorted(need):
            if need[session_id] > 1 or session_id in live:
                raise ServiceError(
                    "already_attending",
                    "You can attend each session once: you already have (or are asking for) a place in it.",
                    session_id=session_id,
                )
    for session_id, prerequisite_id in sorted(prerequisites):
        if session_id in need and prerequisite_id not in need and prerequisite_id not in live:
            raise ServiceError(
                "prerequisite_missing",
                "This session requires attending an earlier session: add a ticket for it too.",
                session_id=session_id,
                prerequisite_session_id=prerequisite_id,
            )
