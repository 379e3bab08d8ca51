"""Ticket types: bundles of sessions with a price, a quota, a sale window and order limits.

Prices arrive as decimal strings in major units and are stored in integer minor units of the
type's currency (money.py). All ticket types of an event share one currency, because a hold and
an order have a single currency and total. A quota cut locks the ticket-type row and recounts
its units with usage.ticket_type_usage inside the transaction, like a session capacity cut.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import Event, EventSession, TicketType, TicketTypeSession
from ticketing.services import money
from ticketing.services.broker.flags import is_broker_event
from ticketing.services.catalog.catalog_common import (
    UNSET,
    TicketTypeView,
    Unset,
    aware,
    clean_name,
    clean_text,
    ensure_not_cancelled,
    ensure_unique_name,
    event_for_role,
    ever_ordered,
    int_in_range,
    save_structure,
    session_ids_by_ticket_type,
    sessions_of_event,
    ticket_type_of_event,
    ticket_type_view,
)
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.sales import usage

MAX_QUOTA = 1_000_000
MAX_PER_ORDER = 1_000


def _clean_currency(currency: Any) -> str:
    try:
        return money.normalize_currency(currency)
    except money.MoneyError as exc:
        raise invalid("invalid_currency", str(exc), field="currency") from exc


def _price_minor(price: Any, currency: str) -> int:
    """Minor units of a price given as a decimal string (or Decimal); 422 negative_price or
    invalid_price."""
    try:
        if isinstance(price, Decimal):
            return money.to_minor(price, currency)
        return money.parse_amount(price, currency)
    except money.MoneyError as exc:
        code = "negative_price" if exc.reason == "negative" else "invalid_price"
        raise invalid(code, str(exc), field="price") from exc


def _session_ids(db: Session, event: Event, session_ids: Any) -> list[uuid.UUID]:
    if isinstance(session_ids, (str, bytes)) or not isinstance(session_ids, Collection) or not session_ids:
        raise invalid("no_sessions", "Choose at least one session this ticket admits to.", field="session_ids")
    return sessions_of_event(db, event=event, session_ids=session_ids, what="A ticket type's sessions")


def _clean_quota(max_quantity: Any) -> int | None:
    if max_quantity is None:
        return None
    return int_in_range(
        max_quantity, field="max_quantity", code="invalid_max_quantity", low=1, high=MAX_QUOTA, label="The quota"
    )


def _check_window(starts: Any, ends: Any) -> tuple[datetime | None, datetime | None]:
    starts = None if starts is None else aware(starts, field="sale_starts_at", code="invalid_sale_window")
    ends = None if ends is None else aware(ends, field="sale_ends_at", code="invalid_sale_window")
    if starts is not None and ends is not None and starts >= ends:
        raise invalid("invalid_sale_window", "The sale must end after it starts.", field="sale_ends_at")
    return starts, ends


def _check_order_limits(event: Event, low: Any, high: Any) -> tuple[int, int | None]:
    code, label = "invalid_per_order_limits", "Per-order limits"
    low = int_in_range(low, field="min_per_order", code=code, low=1, high=MAX_PER_ORDER, label="Min per order")
    if high is not None:
        high = int_in_range(high, field="max_per_order", code=code, low=1, high=MAX_PER_ORDER, label="Max per order")
        if high < low:
            raise invalid(code, f"{label}: the maximum cannot be below the minimum.", field="max_per_order")
    if low > event.max_tickets_per_order:
        raise invalid(
            code,
            f"{label}: the minimum is above the event's {event.max_tickets_per_order} tickets per order.",
            field="min_per_order",
        )
    return low, high


def _ensure_currency_matches(db: Session, event: Event, currency: str, except_id: uuid.UUID | None = None) -> None:
    query = select(TicketType.currency).where(TicketType.event_id == event.id, TicketType.currency != currency)
    if except_id is not None:
        query = query.where(TicketType.id != except_id)
    other = db.exec(query.limit(1)).first()
    if other is not None:
        raise ServiceError(
            "currency_mismatch", f"This event's ticket types are priced in {other}; use {other} here too.",
            field="currency",
        )


def _clean_description(description: Any) -> str:
    return clean_text(
        description, field="description", code="invalid_description", min_len=0, max_len=1000, label="The description"
    )


def _clean_sort_order(sort_order: Any) -> int:
    return int_in_range(
        sort_order, field="sort_order", code="invalid_sort_order", low=-1_000_000, high=1_000_000, label="Sort order"
    )


def create_ticket_type(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    name: str,
    price: str | Decimal,
    currency: str,
    session_ids: Collection[uuid.UUID],
    now: datetime,
    description: str = "",
    max_quantity: int | None = None,
    sale_starts_at: datetime | None = None,
    sale_ends_at: datetime | None = None,
    min_per_order: int = 1,
    max_per_order: int | None = None,
    is_active: bool = True,
    sort_order: int | None = None,
) -> TicketTypeView:
    """A new ticket type of a not-cancelled event (owner/organizer).

    422 invalid_name, invalid_currency, negative_price, invalid_price (not a plain decimal, more
    decimals than the currency has, too large), no_sessions, foreign_session,
    invalid_max_quantity, invalid_sale_window, invalid_per_order_limits; 409 duplicate_name,
    currency_mismatch. Without `sort_order` the type goes after the existing ones.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    name = clean_name(name, label="The ticket type name")
    description = _clean_description(description)
    currency = _clean_currency(currency)
    price_minor = _price_minor(price, currency)
    included = _session_ids(db, event, session_ids)
    max_quantity = _clean_quota(max_quantity)
    sale_starts_at, sale_ends_at = _check_window(sale_starts_at, sale_ends_at)
    min_per_order, max_per_order = _check_order_limits(event, min_per_order, max_per_order)
    if not isinstance(is_active, bool):
        raise invalid("invalid_is_active", "is_active must be true or false.", field="is_active")
    if sort_order is None:
        last = db.exec(select(func.max(TicketType.sort_order)).where(TicketType.event_id == event.id)).one()
        sort_order = 0 if last is None else int(last) + 1
    sort_order = _clean_sort_order(sort_order)
    _ensure_currency_matches(db, event, currency)
    ensure_unique_name(db, TicketType, event_id=event.id, name=name, what="ticket type")
    if is_broker_event(db, event.id):
        max_quantity = 0  # broker mode: a new type sells only the places purchase orders bring
    ticket_type = TicketType(
        event_id=event.id, name=name, description=description, price_minor=price_minor, currency=currency,
        max_quantity=max_quantity, sale_starts_at=sale_starts_at, sale_ends_at=sale_ends_at,
        min_per_order=min_per_order, max_per_order=max_per_order, is_active=is_active, sort_order=sort_order,
        created_at=now,
    )
    db.add(ticket_type)
    db.flush()
    for session_id in included:
        db.add(TicketTypeSession(ticket_type_id=ticket_type.id, session_id=session_id))
    save_structure(db, event_id=event.id)
    return ticket_type_view(db, ticket_type)


def update_ticket_type(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
    now: datetime,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    price: str | Decimal | Unset = UNSET,
    currency: str | Unset = UNSET,
    session_ids: Collection[uuid.UUID] | Unset = UNSET,
    max_quantity: int | None | Unset = UNSET,
    sale_starts_at: datetime | None | Unset = UNSET,
    sale_ends_at: datetime | None | Unset = UNSET,
    min_per_order: int | Unset = UNSET,
    max_per_order: int | None | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    sort_order: int | Unset = UNSET,
) -> TicketTypeView:
    """Change the given fields of a ticket type (owner/organizer); all or nothing.

    A new price applies to holds made from now on (held and sold units keep theirs).
    409 quota_below_taken when `max_quantity` is below the units already taken (sold + pending
    + held, counted under the row lock); 409 ticket_type_has_sales when `session_ids` or
    `currency` would change after anything was held or ordered; other codes as at creation.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ticket_type = ticket_type_of_event(db, event=event, ticket_type_id=ticket_type_id)
    ensure_not_cancelled(event)
    new_name = clean_name(name, label="The ticket type name") if name is not UNSET else UNSET
    new_description = _clean_description(description) if description is not UNSET else UNSET
    new_currency = _clean_currency(currency) if currency is not UNSET else ticket_type.currency
    new_quota = _clean_quota(max_quantity) if max_quantity is not UNSET else UNSET
    new_sort = _clean_sort_order(sort_order) if sort_order is not UNSET else UNSET
    if is_active is not UNSET and not isinstance(is_active, bool):
        raise invalid("invalid_is_active", "is_active must be true or false.", field="is_active")
    new_sessions = _session_ids(db, event, session_ids) if session_ids is not UNSET else UNSET

    # Lock order sessions -> ticket types -> event, as the hold path does; the sessions matter
    # only when the bundle changes under a hold that is being placed right now.
    old_sessions = session_ids_by_ticket_type(db, [ticket_type.id])[ticket_type.id]
    if new_sessions is not UNSET:
        lock_rows(db, EventSession, [*old_sessions, *new_sessions])
    lock_rows(db, TicketType, [ticket_type.id])
    db.refresh(ticket_type)

    price_minor = _repriced(ticket_type, price, new_currency)
    sessions_change = new_sessions is not UNSET and set(new_sessions) != set(old_sessions)
    if sessions_change or new_currency != ticket_type.currency:
        taken = usage.ticket_type_usage(db=db, ticket_types=[ticket_type], now=now)[ticket_type.id].taken
        if taken > 0 or ever_ordered(db, [ticket_type.id]):
            raise ServiceError(
                "ticket_type_has_sales",
                "This ticket type has been held or ordered; its sessions and currency can no longer change.",
            )
        _ensure_currency_matches(db, event, new_currency, except_id=ticket_type.id)
    if new_quota is not UNSET and new_quota != ticket_type.max_quantity and is_broker_event(db, event.id):
        raise ServiceError("quota_by_purchase_orders", "In broker mode a ticket type's quota is the places bought "
                           "through purchase orders.", field="max_quantity")
    if new_quota is not UNSET and new_quota is not None:
        taken = usage.ticket_type_usage(db=db, ticket_types=[ticket_type], now=now)[ticket_type.id].taken
        if new_quota < taken:
            raise ServiceError(
                "quota_below_taken",
                f"{taken} tickets of this type are already taken; the quota cannot go below that.",
                field="max_quantity",
                taken=taken,
            )
    window = _check_window(
        ticket_type.sale_starts_at if sale_starts_at is UNSET else sale_starts_at,
        ticket_type.sale_ends_at if sale_ends_at is UNSET else sale_ends_at,
    )
    limits = _check_order_limits(
        event,
        ticket_type.min_per_order if min_per_order is UNSET else min_per_order,
        ticket_type.max_per_order if max_per_order is UNSET else max_per_order,
    )
    if new_name is not UNSET and new_name != ticket_type.name:
        ensure_unique_name(db, TicketType, event_id=event.id, name=new_name, what="ticket type",
                           except_id=ticket_type.id)
        ticket_type.name = new_name
    if new_description is not UNSET:
        ticket_type.description = new_description
    if new_quota is not UNSET:
        ticket_type.max_quantity = new_quota
    if new_sort is not UNSET:
        ticket_type.sort_order = new_sort
    if is_active is not UNSET:
        ticket_type.is_active = is_active
    ticket_type.currency, ticket_type.price_minor = new_currency, price_minor
    ticket_type.sale_starts_at, ticket_type.sale_ends_at = window
    ticket_type.min_per_order, ticket_type.max_per_order = limits
    if sessions_change:
        db.exec(sql_delete(TicketTypeSession).where(TicketTypeSession.ticket_type_id == ticket_type.id))
        for session_id in new_sessions:
            db.add(TicketTypeSession(ticket_type_id=ticket_type.id, session_id=session_id))
    save_structure(db, ticket_type, event_id=event.id)
    return ticket_type_view(db, ticket_type)


def _repriced(ticket_type: TicketType, price: str | Decimal | Unset, currency: str) -> int:
    """The price in minor units of `currency`: the given one, or the current amount carried
    over to a new currency (which may not fit its decimals: then 422 invalid_price)."""
    if price is not UNSET:
        return _price_minor(price, currency)
    if currency == ticket_type.currency:
        return ticket_type.price_minor
    amount = money.from_minor(ticket_type.price_minor, ticket_type.currency).normalize()  # 23.00 -> 23
    return _price_minor(amount, currency)
