"""The event page's basket ({ticket type id: quantity}) lives in the browser: "+" and "−" change
a client-side var without a server event (each page event costs the app 15-20 ms of CPU; at an
on-sale 2,000 "+" clicks at once waited p50 13.2 s for their answer: bench/README.md). The page
sends the basket with "Reserve tickets" (and to quote a promo code); any client may send
anything, so it is read here in full before the hold recounts it under lock."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from reflex.experimental.client_state import ClientStateVar

# The browser's basket, shared by every component of the page that reads or sets it
# (ticketing/components/basket.py shows it); `basket.push({})` from a handler empties it.
basket = ClientStateVar.create("ticket_basket", default={})

# More lines than any event lists ticket types: a bigger basket is not a page's.
MAX_LINES = 100


class BasketError(ValueError):
    """The basket cannot be held as sent; the message says why, in the page's words."""


def basket_items(sent: Any, *, known: Collection[str], max_per_order: int) -> list[tuple[uuid.UUID, int]]:
    """The basket as the hold's items, sorted by type id: only the page's own ticket types
    (`known`), whole quantities from 0 (dropped) to the order's maximum, at least one ticket.
    Raises BasketError otherwise."""
    if sent is None:
        sent = {}
    if not isinstance(sent, dict) or len(sent) > MAX_LINES:
        raise BasketError("Your choice of tickets could not be read: reload the page and choose again.")
    items = []
    for type_id, quantity in sent.items():
        if not isinstance(type_id, str) or type_id not in known:
            raise BasketError("Some of these tickets are not sold on this page: reload it and choose again.")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise BasketError("Each quantity must be a whole number of tickets.")
        if quantity < 0:
            raise BasketError("A quantity cannot be negative.")
        if quantity > max_per_order:
            raise BasketError(f"At most {max_per_order} tickets per order.")
        if quantity:
            items.append((uuid.UUID(type_id), quantity))
    if not items:
        raise BasketError("Choose at least one ticket.")
    if sum(q for _, q in items) > max_per_order:
        raise BasketError(f"At most {max_per_order} tickets per order.")
    return sorted(items)
