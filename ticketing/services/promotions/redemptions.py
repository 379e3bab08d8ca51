"""Redeeming a promo code: which code a customer typed, whether it applies to their basket,
and its uses, counted under the code's row lock.

A redemption counts, like a place claim, only while expires_at > now: it expires with its
hold, then with its order's payment deadline, and never once the order is confirmed. Holds and
checkouts take the code's lock after their sessions' and ticket types' (the lock order of every
sale), so a stampede on one code never deadlocks with the places it buys.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import PriceLevel, PromoCode, PromoRedemption, TicketType
from ticketing.models.base import new_id
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.promotions.discounts import Line, Terms, eligible_units, line_discounts

# A confirmed order's use of a code never lapses.
FOREVER = datetime(9999, 12, 31, tzinfo=timezone.utc)
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What a code's rules read of it (the attribute names of models.PromoCode), as a hold on
    the claim counters reads it (hold_store.read_code)."""

    id: uuid.UUID
    code: str
    kind: str
    value: int
    currency: str
    buy_quantity: int | None
    get_quantity: int | None
    ticket_type_ids: list | None
    price_level_ids: list | None
    starts_at: datetime | None
    ends_at: datetime | None
    is_active: bool
    max_uses: int | None
    max_uses_per_customer: int | None
    min_tickets: int
    revision: int


@dataclass(frozen=True)
class Quote:
    """What a code does to a basket: {ticket_type_id: line discount} and their sum."""

    code: PromoCode | CodeFacts
    discounts: dict[uuid.UUID, int]
    discount_minor: int


def code_key(text: object) -> str:
    """The code as matched (stripped, lower case); 422 `code_invalid` for anything that cannot
    be a code."""
    if not isinstance(text, str) or not CODE_RE.fullmatch(text.strip()):
        raise invalid("code_invalid", "This code is not valid for this event.")
    return text.strip().lower()


def find_code(db: Session, *, event_id: uuid.UUID, code: str) -> PromoCode:
    """The event's code (case-insensitive); 422 `code_invalid` when unknown here (a code of
    another event is unknown here too)."""
    found = db.exec(select(PromoCode).where(PromoCode.event_id == event_id,
                                            PromoCode.code_key == code_key(code))).first()
    if found is None:
        raise invalid("code_invalid", "This code is not valid for this event.")
    return found


def lock_code(db: Session, code_id: uuid.UUID) -> PromoCode:
    """The code's row, locked and read anew (a `busy` error on lock timeout)."""
    cached = db.identity_map.get(db.identity_key(PromoCode, code_id))
    if cached is not None:
        db.expire(cached)
    return lock_rows(db, PromoCode, [code_id])[0]


def scope_of(db: Session, code: PromoCode) -> set[uuid.UUID] | None:
    """The ticket types the code applies to: None for all; else its ticket types and those
    its price levels are sold as."""
    if not code.ticket_type_ids and not code.price_level_ids:
        return None
    scope = {uuid.UUID(str(t)) for t in code.ticket_type_ids or []}
    if code.price_level_ids:
        levels = [uuid.UUID(str(p)) for p in code.price_level_ids]
        scope |= set(db.exec(select(PriceLevel.ticket_type_id).where(PriceLevel.id.in_(levels))).all())
    return scope


def check_terms(db: Session, *, code: PromoCode, lines: Sequence[Line], currency: str, now: datetime) -> Quote:
    """422 `code_invalid` (paused), `code_expired` (outside its window), `code_not_applicable`
    (nothing in scope, fewer tickets than its minimum, another currency); else the quote."""
    return terms_quote(code=code, scope=scope_of(db, code), lines=lines, currency=currency, now=now)


def terms_quote(*, code: PromoCode | CodeFacts, scope: set[uuid.UUID] | None, lines: Sequence[Line], currency: str,
                now: datetime) -> Quote:
    """check_terms once the code's scope is known (no database)."""
    if not code.is_active:
        raise invalid("code_invalid", "This code is not valid for this event.", reason="paused")
    if (code.starts_at is not None and now < code.starts_at) or (code.ends_at is not None and now >= code.ends_at):
        raise invalid("code_expired", "This code is not valid at this time.",
                      starts_at=code.starts_at, ends_at=code.ends_at)
    units = eligible_units(lines, scope)
    if units == 0 or (code.currency and code.currency != currency):
        raise invalid("code_not_applicable", "This code does not apply to the tickets you chose.")
    if units < code.min_tickets:
        raise invalid("code_not_applicable", f"This code needs at least {code.min_tickets} eligible tickets.",
                      min_tickets=code.min_tickets)
    terms = Terms(code.kind, code.value, code.buy_quantity, code.get_quantity)
    discounts = line_discounts(terms, lines, scope)
    return Quote(code=code, discounts=discounts, discount_minor=sum(discounts.values()))


def live_uses(db: Session, *, code_id: uuid.UUID, now: datetime, user_id: uuid.UUID | None = None) -> int:
    """Redemptions of the code that count at `now` (of one customer when given)."""
    stmt = select(func.count()).select_from(PromoRedemption).where(
        PromoRedemption.promo_code_id == code_id, PromoRedemption.expires_at > now)
    if user_id is not None:
        stmt = stmt.where(PromoRedemption.user_id == user_id)
    return db.exec(stmt).one()


def check_uses(db: Session, *, code: PromoCode, user_id: uuid.UUID | None, now: datetime) -> None:
    """409 `code_used_up` when the code has no use left, in all or for this customer (when
    known). Exact only under the code's lock."""
    if code.max_uses is not None and live_uses(db, code_id=code.id, now=now) >= code.max_uses:
        raise ServiceError("code_used_up", "This code has been used up.", reason="max_uses")
    if (code.max_uses_per_customer is not None and user_id is not None
            and live_uses(db, code_id=code.id, now=now, user_id=user_id) >= code.max_uses_per_customer):
        raise ServiceError("code_used_up", "You have already used this code as often as it allows.",
                           reason="per_customer")


def quote(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID | None, code: str, lines: Sequence[Line],
          currency: str, now: datetime) -> Quote:
    """What the code would do to this basket now, every refusal included, without taking a
    use (the uses counted without the lock: a later hold may still find it used up)."""
    found = find_code(db, event_id=event_id, code=code)
    result = check_terms(db, code=found, lines=lines, currency=currency, now=now)
    check_uses(db, code=found, user_id=user_id, now=now)
    return result


def redeem(*, db: Session, code_id: uuid.UUID, user_id: uuid.UUID, lines: Sequence[Line], currency: str,
           now: datetime) -> Quote:
    """Lock the code's row and check every rule on it, uses included: a use may then be
    recorded (record) until the transaction ends. The caller holds the locks of the places it
    counts already."""
    code = lock_code(db, code_id)
    # Expired uses counted for nothing any more: deleted under the lock (their trigger lowers
    # the code's `claimed` counter, which the claim counters' holds read).
    db.exec(delete(PromoRedemption).where(PromoRedemption.promo_code_id == code.id,
                                          PromoRedemption.expires_at <= now))
    result = check_terms(db, code=code, lines=lines, currency=currency, now=now)
    check_uses(db, code=code, user_id=user_id, now=now)
    return result


def record(db: Session, *, quote: Quote, user_id: uuid.UUID, hold_id: uuid.UUID, expires_at: datetime,
           now: datetime, order_id: uuid.UUID | None = None) -> None:
    """Write the use redeem allowed, once its hold (and order) rows are written."""
    db.add(PromoRedemption(id=new_id(), promo_code_id=quote.code.id, user_id=user_id, hold_id=hold_id,
                           order_id=order_id, discount_minor=quote.discount_minor, expires_at=expires_at,
                           created_at=now))


def release_for_hold(db: Session, hold_id: uuid.UUID) -> None:
    """The hold was released or re-taken: its use is given back."""
    db.exec(delete(PromoRedemption).where(PromoRedemption.hold_id == hold_id, PromoRedemption.order_id.is_(None)))


def move_to_order(db: Session, *, hold_id: uuid.UUID, order_id: uuid.UUID, expires_at: datetime) -> None:
    """The hold became an order: its use now lives (and lapses) with the order."""
    db.exec(update(PromoRedemption).where(PromoRedemption.hold_id == hold_id)
            .values(order_id=order_id, expires_at=expires_at))


def confirm_for_order(db: Session, order_id: uuid.UUID) -> None:
    """The order is paid: its use never lapses."""
    db.exec(update(PromoRedemption).where(PromoRedemption.order_id == order_id).values(expires_at=FOREVER))


def release_for_order(db: Session, order_id: uuid.UUID) -> None:
    """The order was cancelled whole: its use is given back."""
    db.exec(delete(PromoRedemption).where(PromoRedemption.order_id == order_id))


def validate_code(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID | None, code: str,
                  items: Sequence[tuple[uuid.UUID, int]], now: datetime) -> tuple[Quote, list[Line], str]:
    """What the code would do to these tickets at today's prices (the "Have a promo code?" check),
    taking no use: (quote, lines, currency). 404 for a ticket type not of this event, 422
    `invalid_quantity` for a quantity that is not a whole number from 1 to 1000."""
    quantities: dict[uuid.UUID, int] = {}
    for type_id, qty in items:
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 1000:
            raise invalid("invalid_quantity", "Quantities must be whole numbers from 1 to 1000.",
                          ticket_type_id=type_id)
        quantities[type_id] = quantities.get(type_id, 0) + qty
    if not quantities:
        raise invalid("invalid_quantity", "Choose at least one ticket.")
    types = {t.id: t for t in db.exec(select(TicketType).where(TicketType.event_id == event_id,
                                                              TicketType.id.in_(sorted(quantities)))).all()}
    missing = sorted(set(quantities) - set(types))
    if missing:
        raise ServiceError("not_found", "No such ticket type.", status=404, ticket_type_id=missing[0])
    lines = [Line(t, q, types[t].price_minor) for t, q in quantities.items()]
    currency = types[next(iter(quantities))].currency
    return quote(db=db, event_id=event_id, user_id=user_id, code=code, lines=lines, currency=currency,
                 now=now), lines, currency


def reclaim_expired(db: Session, *, now: datetime) -> int:
    """Delete every lapsed use (the sweeper's tidying; they already count for nothing): each
    code's row locked first, in id order, so its `claimed` counter falls under its lock and the
    claim counters' holds stop being refused by uses that lapsed. Returns how many went."""
    code_ids = sorted(set(db.exec(select(PromoRedemption.promo_code_id)
                                  .where(PromoRedemption.expires_at <= now)).all()))
    if not code_ids:
        return 0
    lock_rows(db, PromoCode, code_ids)
    gone = db.exec(delete(PromoRedemption).where(PromoRedemption.promo_code_id.in_(code_ids),
                                                 PromoRedemption.expires_at <= now))
    return gone.rowcount or 0
