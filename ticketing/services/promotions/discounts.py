"""The discount a promo code gives a basket: pure arithmetic on (ticket type, quantity, unit
price) lines, no database. Every line's discount is between 0 and its subtotal."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ticketing.models import PromoKind


@dataclass(frozen=True, slots=True)
class Line:
    ticket_type_id: uuid.UUID
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class Terms:
    """What a code's discount depends on (the attribute names of models.PromoCode)."""

    kind: str
    value: int
    buy_quantity: int | None = None
    get_quantity: int | None = None


def eligible_units(lines: Sequence[Line], scope: Collection[uuid.UUID] | None) -> int:
    """Tickets of the basket the code applies to (`scope` None: all)."""
    return sum(x.quantity for x in lines if scope is None or x.ticket_type_id in scope)


def unit_discount(terms: Terms, price_minor: int) -> int:
    """The discount on one ticket of kinds priced per ticket (percent, fixed, free)."""
    if terms.kind == PromoKind.percent.value:
        return (price_minor * terms.value + 50) // 100  # half up, like every rounding here
    if terms.kind == PromoKind.fixed.value:
        return min(terms.value, price_minor)
    if terms.kind == PromoKind.free.value:
        return price_minor
    raise ValueError(terms.kind)


def line_discounts(terms: Terms, lines: Sequence[Line], scope: Collection[uuid.UUID] | None) -> dict[uuid.UUID, int]:
    """{ticket_type_id: discount of that line} for every line (0 out of scope).

    Buy X get Y: the tickets in scope are ranked dearest first; of every complete group of
    X + Y the last Y (the cheapest of the group) are free, so the buyer pays for the dearer."""
    out = {x.ticket_type_id: 0 for x in lines}
    in_scope = [x for x in lines if scope is None or x.ticket_type_id in scope]
    if terms.kind != PromoKind.buy_x_get_y.value:
        for x in in_scope:
            out[x.ticket_type_id] = unit_discount(terms, x.unit_price_minor) * x.quantity
        return out
    buy, get = terms.buy_quantity or 0, terms.get_quantity or 0
    if buy < 1 or get < 1:
        return out
    units = sorted(((x.unit_price_minor, x.ticket_type_id) for x in in_scope for _ in range(x.quantity)),
                   key=lambda u: -u[0])
    group = buy + get
    for n, (price, type_id) in enumerate(units[: len(units) // group * group]):
        if n % group >= buy:
            out[type_id] += price
    return out


def ticket_shares(discount_minor: int, quantity: int) -> list[int]:
    """A line's discount spread over its tickets, as evenly as whole minor units allow (the
    first tickets carry the remainder): what a partial cancellation refunds is each ticket's
    price minus its share."""
    if quantity <= 0:
        return []
    base, extra = divmod(discount_minor, quantity)
    return [base + (1 if n < extra else 0) for n in range(quantity)]


def paid_per_ticket(unit_price_minor: int, discount_minor: int, quantity: int) -> list[int]:
    """What each ticket of a line was paid, in ticket order (see ticket_shares)."""
    return [unit_price_minor - share for share in ticket_shares(discount_minor, quantity)]


def total_after(lines: Sequence[Line], discounts: Mapping[uuid.UUID, int]) -> int:
    return sum(x.unit_price_minor * x.quantity - discounts.get(x.ticket_type_id, 0) for x in lines)
