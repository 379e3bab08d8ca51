"""Retail prices of a broker event: fixed, or a markup on cost (percent or fixed amount) rounded
by a rule. The customer always sees one final price per ticket type (the hold locks it, as any
price); its cost basis is the highest unit cost among the type's owned, unreturned inventory, so
no unit of it sells below its own cost plus the markup."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    EventSeat,
    OwnedSeat,
    PriceLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    RetailRule,
    TicketType,
)
from ticketing.services import live_changes
from ticketing.services.catalog.catalog_common import ensure_not_cancelled, event_for_role
from ticketing.services.errors import invalid, not_found
from ticketing.services.money import MoneyError, exponent, parse_amount
from ticketing.services.sales.places import lock_fresh

MODES = ("fixed", "markup_percent", "markup_fixed")
ROUNDINGS = ("none", "whole", "ninety_nine", "five")
LIVE_STATUSES = (PurchaseOrderStatus.confirmed.value, PurchaseOrderStatus.partially_received.value,
                 PurchaseOrderStatus.completed.value)
MAX_PERCENT_BP = 1_000_000  # 10,000 %


@dataclass(frozen=True)
class RetailPrice:
    ticket_type_id: uuid.UUID
    rule: RetailRule | None
    cost_basis_minor: int | None
    price_minor: int
    currency: str


def round_price(minor: int, rounding: str, currency: str) -> int:
    """Round up (never below cost + markup): to a whole unit, to the next .99 (whole units of
    100 for currencies without decimals), or to a multiple of 5 units."""
    unit = 10 ** exponent(currency)
    if rounding == "whole":
        return -(-minor // unit) * unit
    if rounding == "five":
        return -(-minor // (5 * unit)) * 5 * unit
    if rounding == "ninety_nine":
        step = max(unit, 100)
        return -(-(minor + 1) // step) * step - 1
    return minor


def retail_from_cost(cost_minor: int, *, mode: str, value: int, rounding: str, currency: str) -> int:
    """The retail price in minor units for a unit cost (`value`: minor units, or basis points
    for markup_percent; half-up to the minor unit before the rounding rule)."""
    if mode == "fixed":
        return value
    if mode == "markup_fixed":
        raw = cost_minor + value
    else:
        raw = int((Decimal(cost_minor) * (Decimal(10_000) + value) / Decimal(10_000))
                  .quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return round_price(raw, rounding, currency)


def cost_basis(db: Session, ticket_type_id: uuid.UUID) -> int | None:
    """Highest unit cost of the type's owned, unreturned inventory (seats of its price levels,
    or general-admission lines of confirmed orders with units not returned); None without any."""
    seats = db.exec(select(func.max(OwnedSeat.unit_cost_minor))
                    .join(EventSeat, EventSeat.id == OwnedSeat.event_seat_id)
                    .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
                    .where(PriceLevel.ticket_type_id == ticket_type_id, OwnedSeat.returned_at.is_(None))).one()
    places = db.exec(select(func.max(PurchaseOrderLine.unit_cost_minor))
                     .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                     .where(PurchaseOrderLine.ticket_type_id == ticket_type_id,
                            PurchaseOrder.status.in_(LIVE_STATUSES),
                            PurchaseOrderLine.returned_quantity < PurchaseOrderLine.quantity)).one()
    found = [c for c in (seats, places) if c is not None]
    return max(found) if found else None


def apply_rules(db: Session, types: Iterable[TicketType]) -> bool:
    """Re-price the given ticket types (locked by the caller) from their rules; True if any
    price changed. Held and sold units keep the price they were held at."""
    changed = False
    for ticket_type in types:
        rule = db.get(RetailRule, ticket_type.id)
        if rule is None:
            continue
        basis = cost_basis(db, ticket_type.id)
        if rule.mode != "fixed" and basis is None:
            continue  # nothing owned yet: nothing to mark up
        price = retail_from_cost(basis or 0, mode=rule.mode, value=rule.value, rounding=rule.rounding,
                                 currency=ticket_type.currency)
        if price != ticket_type.price_minor:
            ticket_type.price_minor = price
            db.add(ticket_type)
            changed = True
    return changed


def _value(mode: str, *, price: str | None, markup_percent: str | None, markup_fixed: str | None,
           currency: str) -> int:
    given = {"fixed": price, "markup_percent": markup_percent, "markup_fixed": markup_fixed}
    if sum(v is not None for v in given.values()) != 1 or given[mode] is None:
        raise invalid("invalid_rule", "Give exactly one of price, markup_percent or markup_fixed.")
    raw = given[mode]
    if mode == "markup_percent":
        try:
            percent = Decimal(str(raw).strip())
        except InvalidOperation as exc:
            raise invalid("invalid_markup", "markup_percent is a number such as \"25\" or \"12.5\".",
                          field="markup_percent") from exc
        bp = percent * 100
        if not percent.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= MAX_PERCENT_BP:
            raise invalid("invalid_markup", "markup_percent is between 0 and 10000 with at most 2 decimals.",
                          field="markup_percent")
        return int(bp)
    try:
        return parse_amount(str(raw), currency)
    except MoneyError as exc:
        field = "price" if mode == "fixed" else "markup_fixed"
        raise invalid("invalid_markup" if mode != "fixed" else "invalid_price", f"{field}: {exc}",
                      field=field) from exc


AMOUNT_FIELDS = {"fixed": "price", "markup_percent": "markup_percent", "markup_fixed": "markup_fixed"}


def quote_retail(*, cost_minor: int | None, currency: str, mode: str, amount: str, rounding: str) -> int | None:
    """The final price a rule would give for a cost basis, saving nothing (the console's preview);
    None for a markup while nothing is owned. 422 as set_retail_rule."""
    if mode not in MODES:
        raise invalid("invalid_rule", f"The rule is one of {', '.join(MODES)}.", field="mode")
    if rounding not in ROUNDINGS:
        raise invalid("invalid_rounding", f"rounding is one of {', '.join(ROUNDINGS)}.", field="rounding")
    given = {field: None for field in AMOUNT_FIELDS.values()} | {AMOUNT_FIELDS[mode]: amount}
    value = _value(mode, currency=currency, **given)
    if mode != "fixed" and cost_minor is None:
        return None
    return retail_from_cost(cost_minor or 0, mode=mode, value=value, rounding=rounding, currency=currency)


def set_retail_rule(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime,
                    ticket_type_id: uuid.UUID | None = None, price_level_id: uuid.UUID | None = None,
                    price: str | None = None, markup_percent: str | None = None, markup_fixed: str | None = None,
                    rounding: str = "none") -> RetailPrice:
    """Set how a ticket type (or a price level's ticket type) is priced, and re-price it now
    (owner/organizer). 422 invalid_rule, invalid_markup, invalid_price, invalid_rounding."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    if price_level_id is not None:
        level = db.get(PriceLevel, price_level_id)
        if level is None or level.event_id != event.id:
            raise not_found("price level")
        ticket_type_id = level.ticket_type_id
    ticket_type = db.get(TicketType, ticket_type_id) if ticket_type_id else None
    if ticket_type is None or ticket_type.event_id != event.id:
        raise not_found("ticket type")
    if rounding not in ROUNDINGS:
        raise invalid("invalid_rounding", f"rounding is one of {', '.join(ROUNDINGS)}.", field="rounding")
    mode = "fixed" if price is not None else "markup_percent" if markup_percent is not None else "markup_fixed"
    value = _value(mode, price=price, markup_percent=markup_percent, markup_fixed=markup_fixed,
                   currency=ticket_type.currency)
    (ticket_type,) = lock_fresh(db, TicketType, [ticket_type.id]).values()
    rule = db.get(RetailRule, ticket_type.id)
    if rule is None:
        rule = RetailRule(ticket_type_id=ticket_type.id, mode=mode, value=value, rounding=rounding, updated_at=now)
    else:
        rule.mode, rule.value, rule.rounding, rule.updated_at = mode, value, rounding, now
    db.add(rule)
    db.flush()
    if apply_rules(db, [ticket_type]):
        db.flush()
        live_changes.bump_event_version(db=db, event_id=event.id, structure=True)
    return retail_price(db, ticket_type)


def retail_price(db: Session, ticket_type: TicketType) -> RetailPrice:
    return RetailPrice(ticket_type_id=ticket_type.id, rule=db.get(RetailRule, ticket_type.id),
                       cost_basis_minor=cost_basis(db, ticket_type.id), price_minor=ticket_type.price_minor,
                       currency=ticket_type.currency)
