"""A code typed in the cart: put on (or taken off) a live hold after the places were taken.

The hold's row is locked first, then the code's (the order of a checkout: hold, places, code),
so the swap never races the hold's checkout or release. The places are not touched.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import Hold, HoldItem, HoldStatus, PromoCode
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.promotions import redemptions
from ticketing.services.promotions.discounts import Line


def apply_to_hold(*, db: Session, hold_id: uuid.UUID, user_id: uuid.UUID, code: str | None,
                  now: datetime) -> Hold:
    """Put `code` on the caller's live hold in place of any code it had (one code per order),
    or take the code off (`code` None): the discount per line and the total change, the old
    code's use is given back, the new one's taken. Refusals as at hold time (the hold keeps its
    old code then); 409 `hold_expired` for a hold that is not live any more."""
    cached = db.identity_map.get(db.identity_key(Hold, hold_id))
    if cached is not None:
        db.expire(cached)
    rows = lock_rows(db, Hold, [hold_id])
    hold = rows[0] if rows else None
    if hold is None or hold.user_id != user_id:
        raise not_found("hold")
    if hold.status != HoldStatus.active.value or hold.expires_at <= now:
        raise ServiceError("hold_expired", "Your hold has expired; choose your tickets again to use a code.")
    items = list(db.exec(select(HoldItem).where(HoldItem.hold_id == hold.id)).all())
    lines = [Line(i.ticket_type_id, i.quantity, i.unit_price_minor) for i in items]
    quote = None
    if code is not None:
        found = redemptions.find_code(db, event_id=hold.event_id, code=code)
        # The old code's row (its counter falls with the old use) and the new one's, in id order:
        # two carts swapping the same two codes the other way round never deadlock.
        lock_rows(db, PromoCode, sorted({found.id, hold.promo_code_id} - {None}))
        redemptions.release_for_hold(db, hold.id)  # counted without the hold's own old use
        quote = redemptions.redeem(db=db, code_id=found.id, user_id=user_id, lines=lines, currency=hold.currency,
                                   now=now)
    else:
        redemptions.release_for_hold(db, hold.id)
    discounts = quote.discounts if quote is not None else {}
    for item in items:
        item.discount_minor = discounts.get(item.ticket_type_id, 0)
        db.add(item)
    subtotal = sum(x.unit_price_minor * x.quantity for x in lines)
    hold.discount_minor = quote.discount_minor if quote is not None else 0
    hold.total_minor = subtotal - hold.discount_minor
    hold.promo_code_id = quote.code.id if quote is not None else None
    db.add(hold)
    if quote is not None:
        redemptions.record(db, quote=quote, user_id=user_id, hold_id=hold.id, expires_at=hold.expires_at, now=now)
    db.flush()
    return hold
