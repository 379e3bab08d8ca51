"""Holds (cart reservations): take places for a few minutes, all or nothing; release them.

A hold's places are PlaceClaims that count only while expires_at > now, so an abandoned cart
frees its places at that instant without any job.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from sqlalchemy import bindparam
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from ticketing.db import as_loaded, autocommit_connection, insert_rows, pg_driver, session_scope
from ticketing.models import EventStatus, Hold, HoldItem, HoldStatus, PlaceClaim, TicketType, TicketTypeSession
from ticketing.models.base import new_id
from ticketing.services.accounts.accounts import check_token_version, stale_token
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.presales import access as presale_access
from ticketing.services.live_changes import publish_counts, stage_counts
from ticketing.services.promotions import redemptions
from ticketing.services.promotions.discounts import Line
from ticketing.services.sales import hold_store
from ticketing.services.sales.availability import visible_event
from ticketing.services.sales.hold_rules import (
    MAX_TOTAL_MINOR,
    check_attendance_rules,
    check_sale_rules,
    normalize_items,
)
from ticketing.services.sales.hold_store import TypeFacts
from ticketing.services.sales.waitlist_gate import refuse_while_waiting
from ticketing.services.sales.places import (
    bump_version,
    check_places,
    claim_rows,
    delete_claims,
    lock_bundles,
    lock_capacity,
    lock_fresh,
    lock_user,
    places_refusal,
    quota_refusal,
    reclaim_expired,
    session_demand,
    sessions_of_types,
)
from ticketing.services.seating import seat_claims

_ACTIVE_HOLDS = select(Hold.id).where(
    Hold.user_id == bindparam("user_id"), Hold.event_id == bindparam("event_id"), Hold.status == HoldStatus.active.value
)


def _close_previous_holds(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Refuse a second live hold; mark the user's expired ones released so they cannot be
    revived, and return their ids (the caller deletes their claims once it holds the session
    locks: claims are only ever deleted under those, the sweeper's lock order)."""
    ids = db.exec(_ACTIVE_HOLDS, params={"user_id": user_id, "event_id": event_id}).all()
    closed = []
    for hold in lock_fresh(db, Hold, ids).values():
        if hold.status != HoldStatus.active.value:
            continue
        if hold.expires_at > now:
            raise ServiceError(
                "active_hold_exists",
                "You already have tickets on hold for this event: check out or release them first.",
                hold_id=hold.id,
            )
        hold.status = HoldStatus.released.value
        db.add(hold)
        closed.append(hold.id)
    return closed


def hold_tickets(
    *,
    db: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    items: Sequence[tuple[uuid.UUID, int]],
    now: datetime,
    seat_ids: Sequence[uuid.UUID] = (),
    promo_code: str | None = None,
    access_code: str | None = None,
) -> Hold:
    """Hold places for every item, all or nothing, at today's prices, for event.hold_minutes,
    in the caller's transaction.

    Seated sessions need one seat per place (`seat_ids`, held in the same transaction).
    `promo_code`: its discount is locked with the prices and one of its uses taken, counted
    under the code's row lock (on the counters too, when the code has no per-customer limit
    and no price-level scope). `access_code`: unlocks a presale's block (presales.access);
    a hold with one, or on an event with presales, takes the exact path.

    On PostgreSQL most holds are granted on the claim counters in one statement
    (_grant_on_counters); the others, and any the counters refuse, take the exact path
    (_hold_exactly): lock, recount the live claims, check every rule on the locked rows."""
    quantities = normalize_items(items)
    raw = pg_driver(db)
    granted = None
    if raw is not None and not seat_ids and access_code is None:
        granted = _grant_on_counters(raw, event_id=event_id, user_id=user_id, quantities=quantities, now=now,
                                     promo_code=promo_code)
    if isinstance(granted, ServiceError):
        raise granted
    if isinstance(granted, _Granted):
        hold = granted.hold
        stage_counts(db, event_id=event_id, version=granted.version, at=now, sessions=granted.sessions,
                     quotas=granted.quotas)
        _attach(db, hold, granted.lines)
        return hold
    return _hold_exactly(db=db, event_id=event_id, user_id=user_id, quantities=quantities, now=now,
                         seat_ids=seat_ids, reclaim=granted == "short", promo_code=promo_code,
                         access_code=access_code)


def place_hold(
    *, event_id: uuid.UUID, user_id: uuid.UUID, items: Sequence[tuple[uuid.UUID, int]], now: datetime,
    seat_ids: Sequence[uuid.UUID] = (), token_version: int | None = None, promo_code: str | None = None,
    access_code: str | None = None,
) -> tuple[Hold, list[HoldItem]]:
    """hold_tickets in a transaction of its own, for callers with nothing else to write in it
    (the API without an Idempotency-Key): a hold granted on the counters is then one statement
    committing by itself, without the round trips of BEGIN and COMMIT. Returns the committed
    hold and its lines.

    `token_version`: the version of the caller's token, which has been checked for everything
    else; the hold is refused with `invalid_token` when it is no longer the buyer's. A hold on
    the counters checks it in its statement (also when the statement then refuses); any other
    way, and before any other refusal, it is read on its own (a stale token is answered as such,
    whatever else is wrong)."""
    granted = None
    try:
        quantities = normalize_items(items)
        if not seat_ids and access_code is None:
            with autocommit_connection() as raw:
                if raw is not None:
                    granted = _grant_on_counters(raw, event_id=event_id, user_id=user_id, quantities=quantities,
                                                 now=now, asynchronous=True, token_version=token_version,
                                                 promo_code=promo_code)
    except ServiceError as exc:
        if token_version is not None and exc.code not in ("invalid_token", "busy"):
            check_token_version(user_id, token_version)
        raise
    if isinstance(granted, _Granted):
        publish_counts(event_id=event_id, version=granted.version, at=now, sessions=granted.sessions,
                       quotas=granted.quotas)
        return granted.hold, granted.lines
    if isinstance(granted, ServiceError):  # refused on the counters, finally (the token was checked there)
        raise granted
    if token_version is not None and granted is None:  # else the statement has checked it
        check_token_version(user_id, token_version)
    with session_scope() as db:
        hold = _hold_exactly(db=db, event_id=event_id, user_id=user_id, quantities=quantities, now=now,
                             seat_ids=seat_ids, reclaim=granted == "short", promo_code=promo_code,
                             access_code=access_code)
        return hold, hold_items(db=db, hold_id=hold.id)


def hold_offer(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, ticket_type_id: uuid.UUID, quantity: int,
               minutes: int, now: datetime) -> Hold:
    """A waiting-list offer: a hold made for `user_id` for `minutes`, on the exact path, past
    the waiting-list gate (the caller has locked the entry it is made for)."""
    return _hold_exactly(db=db, event_id=event_id, user_id=user_id, quantities={ticket_type_id: quantity}, now=now,
                         seat_ids=(), reclaim=True, offer_minutes=minutes)


def _hold_exactly(
    *, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, quantities: dict[uuid.UUID, int], now: datetime,
    seat_ids: Sequence[uuid.UUID], reclaim: bool, promo_code: str | None = None, access_code: str | None = None,
    offer_minutes: int | None = None,
) -> Hold:
    """hold_tickets under the locks of everything it counts. `reclaim`: the claim counters
    refused this basket, so expired claims of the locked rows are deleted on the way.
    `offer_minutes`: a waiting-list offer (hold_offer), for that long."""
    event = visible_event(db=db, event_id=event_id, user_id=user_id)
    if event.status != EventStatus.published.value:
        raise invalid("not_on_sale", "This event is not on sale.", reason=f"event_{event.status}")
    # An unknown code is refused before any lock is taken.
    code = None if promo_code is None else redemptions.find_code(db, event_id=event_id, code=promo_code)
    sessions_of = _sessions_of_event_types(db, event_id=event_id, type_ids=quantities)

    # Why the user row: the one-live-hold and per-attendee rules read the user's own holds and
    # tickets, which no session lock covers when two of their requests touch disjoint sessions.
    lock_user(db, user_id)
    closed = _close_previous_holds(db, event_id=event_id, user_id=user_id, now=now)
    # Everything above runs before the session locks: from here to commit, every other buyer of
    # these sessions waits, so this stretch is kept to a few statements.
    locked = lock_bundles(db, quantities=quantities, sessions_of=sessions_of, now=now)
    sessions_of, sessions, types = locked.sessions_of, locked.sessions, locked.types
    for hold_id in closed:
        delete_claims(db, hold_id=hold_id)  # expired: they counted for nothing any more
    if reclaim:  # the counters refused: let expired claims stop weighing on them
        reclaim_expired(db, session_ids=list(sessions), type_ids=list(types), now=now)
    check_sale_rules(event=event, types=types, quantities=quantities, now=now)
    for type_id in sorted(quantities):
        if not sessions_of[type_id]:
            raise invalid("not_on_sale", f"'{types[type_id].name}' includes no session.", ticket_type_id=type_id,
                          reason="no_sessions")
    check_attendance_rules(db, event=event, user_id=user_id, need=session_demand(quantities, sessions_of), now=now,
                           prerequisites=locked.prerequisites)
    if offer_minutes is None:
        refuse_while_waiting(db, type_ids=sorted(quantities))
    check_places(db, sessions=sessions, types=types, quantities=quantities, sessions_of=sessions_of, now=now)

    expires_at = now + timedelta(minutes=event.hold_minutes if offer_minutes is None else offer_minutes)
    # A presale's block needs its code; the presale's lock after the places', before the code's.
    grant = presale_access.grant_access(db, event_id=event_id, quantities=quantities, seat_ids=seat_ids,
                                        access_code=access_code, now=now)
    quote = None
    if code is not None:  # its lock after the places' locks: the lock order of every sale
        quote = redemptions.redeem(db=db, code_id=code.id, user_id=user_id,
                                   lines=[Line(t, q, types[t].price_minor) for t, q in quantities.items()],
                                   currency=types[next(iter(quantities))].currency, now=now)
    hold, lines = _new_hold(event_id=event_id, user_id=user_id, types=types, quantities=quantities,
                            expires_at=expires_at, now=now, quote=quote)
    claims = claim_rows(db, event_id=event_id, quantities=quantities, sessions_of=sessions_of, types=types,
                        expires_at=hold.expires_at, hold_id=hold.id)
    # The hold, its lines and its claims in one statement (PostgreSQL): fewer round trips
    # while the session locks are held.
    insert_rows(db, [(Hold, [hold.model_dump()]), (HoldItem, [line.model_dump() for line in lines]),
                     (PlaceClaim, claims)])
    if quote is not None:
        redemptions.record(db, quote=quote, user_id=user_id, hold_id=hold.id, expires_at=hold.expires_at, now=now)
    presale_access.record_use(db, grant=grant, user_id=user_id, hold_id=hold.id, expires_at=hold.expires_at, now=now)
    _attach(db, hold, lines)
    seat_claims.claim_hold_seats(db, event_id=event_id, hold=hold, quantities=quantities, sessions_of=sessions_of,
                                 seat_ids=seat_ids, now=now)
    bump_version(db, event_id)
    return hold


@dataclass(frozen=True)
class _Granted:
    hold: Hold
    lines: list[HoldItem]
    version: int
    # The live delta's figures, {id: (sold, pending, held)}: the counters as locked plus this
    # hold's claims. They count claims that expired and are not deleted yet (the sweeper's
    # next pass publishes them freed): never more free places than there are.
    sessions: dict[uuid.UUID, tuple[int, int, int]]
    quotas: dict[uuid.UUID, tuple[int, int, int]]


def _grant_on_counters(
    raw: psycopg.Connection, *, event_id: uuid.UUID, user_id: uuid.UUID, quantities: dict[uuid.UUID, int],
    now: datetime, asynchronous: bool = False, token_version: int | None = None, promo_code: str | None = None,
) -> _Granted | ServiceError | str | None:
    """The hold, written on the claim counters (hold_store); else the final refusal for lack of
    room (`full`: returned, the caller raises it), why not (a Taken outcome), or None when this
    basket needs the exact path: an event not on sale or not visible, an unknown
    ticket type, seats, prerequisites, the one-ticket-per-attendee rule. A buyer's active hold
    (to close or refuse) is a `conflict`. Rule violations raise as on the exact path."""
    basket = hold_store.basket(raw, event_id=event_id, type_ids=sorted(quantities))
    if (basket is None or basket.event.status != EventStatus.published.value or basket.special
            or basket.event.one_ticket_per_attendee or len(basket.types) != len(quantities)
            or not all(basket.sessions_of[t] for t in quantities)):
        return None
    event, types, sessions_of = basket.event, basket.types, basket.sessions_of
    code = quote = None
    if promo_code is not None:
        code = hold_store.read_code(raw, event_id=event_id, code_key=redemptions.code_key(promo_code))
        if code is None:
            raise invalid("code_invalid", "This code is not valid for this event.")
        if code.price_level_ids or code.max_uses_per_customer is not None:
            return None  # the customer's own uses, or a scope read from price levels: exact path
    check_sale_rules(event=event, types=types, quantities=quantities, now=now)
    if code is not None:
        scope = {uuid.UUID(str(t)) for t in code.ticket_type_ids} if code.ticket_type_ids else None
        try:
            quote = redemptions.terms_quote(code=code, scope=scope, now=now,
                                            currency=types[next(iter(quantities))].currency,
                                            lines=[Line(t, q, types[t].price_minor) for t, q in quantities.items()])
        except ServiceError:
            # The code as remembered refuses: the exact path decides on the code as it is now
            # (it may have been resumed or widened since).
            hold_store.forget_code(event_id, code.code.lower())
            return None
    hold, lines = _new_hold(event_id=event_id, user_id=user_id, types=types, quantities=quantities,
                            expires_at=now + timedelta(minutes=event.hold_minutes), now=now, quote=quote)
    claims = claim_rows(None, event_id=event_id, quantities=quantities, sessions_of=sessions_of, types=types,
                        expires_at=hold.expires_at, hold_id=hold.id)
    need = session_demand(quantities, sessions_of)
    taken = hold_store.take(raw, hold=hold, lines=lines, session_need=need, basket=basket, quantities=quantities,
                            claims=claims, asynchronous=asynchronous, token_version=token_version, code=code)
    if taken.outcome == "stale_token":
        raise stale_token()
    if taken.outcome == "full":  # the refusal the exact path would give, without its locks
        short = taken.shortage
        refuse = quota_refusal if short.kind == "t" else places_refusal
        return refuse(short.row_id, short.name, short.left)
    if taken.outcome != "granted":
        return taken.outcome
    counts = taken.counts
    return _Granted(
        hold=hold, lines=lines, version=taken.version,
        sessions={k: (sold, pending, held + need[k]) for k, (kind, sold, pending, held) in counts.items()
                  if kind == "s"},
        quotas={k: (sold, pending, held + quantities[k]) for k, (kind, sold, pending, held) in counts.items()
                if kind == "t" and types[k].max_quantity is not None},
    )


def _attach(db: Session, hold: Hold, lines: list[HoldItem]) -> None:
    """Make the hold this transaction just wrote the session's persistent row (no second
    INSERT), and remember its lines: the caller usually shows them before committing."""
    make_transient_to_detached(hold)
    db.add(hold)
    db.info[_NEW_LINES] = (db.get_transaction(), hold.id, lines)


def _new_hold(*, event_id: uuid.UUID, user_id: uuid.UUID, types: Mapping[uuid.UUID, TicketType | TypeFacts],
              quantities: Mapping[uuid.UUID, int], expires_at: datetime, now: datetime,
              quote: redemptions.Quote | None = None) -> tuple[Hold, list[HoldItem]]:
    """The hold and its lines at today's prices, less the quoted discount (not written yet);
    422 when the total is too large."""
    total_minor = sum(types[t].price_minor * q for t, q in quantities.items())
    if total_minor > MAX_TOTAL_MINOR:
        raise invalid("total_too_large", "This order's total is too large; buy fewer tickets at once.")
    discounts = quote.discounts if quote is not None else {}
    discount_minor = quote.discount_minor if quote is not None else 0
    hold = as_loaded(Hold, id=new_id(), event_id=event_id, user_id=user_id, status=HoldStatus.active.value,
                     currency=types[next(iter(quantities))].currency, total_minor=total_minor - discount_minor,
                     promo_code_id=quote.code.id if quote is not None else None, discount_minor=discount_minor,
                     expires_at=expires_at, created_at=now)
    lines = [
        as_loaded(HoldItem, id=new_id(), hold_id=hold.id, ticket_type_id=type_id, quantity=quantities[type_id],
                  unit_price_minor=types[type_id].price_minor, discount_minor=discounts.get(type_id, 0))
        for type_id in sorted(quantities, key=lambda t: (types[t].sort_order, types[t].name))
    ]
    return hold, lines


_TYPES_WITH_SESSIONS = (
    select(TicketType.id, TicketType.event_id, TicketTypeSession.session_id)
    .outerjoin(TicketTypeSession, TicketTypeSession.ticket_type_id == TicketType.id)
    .where(TicketType.id.in_(bindparam("ids", expanding=True)))
)


def _sessions_of_event_types(
    db: Session, *, event_id: uuid.UUID, type_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """{ticket_type_id: [session ids]} of the event's ticket types, one query, read before any
    lock (lock_bundles re-reads them under the locks); 404 for an unknown ticket type or one of
    another event (maybe another tenant's)."""
    wanted = sorted(set(type_ids))
    rows = db.exec(_TYPES_WITH_SESSIONS, params={"ids": wanted}).all()
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for type_id, type_event_id, session_id in rows:
        if type_event_id == event_id:
            out.setdefault(type_id, [])
            if session_id is not None:
                out[type_id].append(session_id)
    for type_id in wanted:
        if type_id not in out:
            raise ServiceError("not_found", "No such ticket type.", status=404, ticket_type_id=type_id)
        out[type_id].sort()
    return out


def get_hold(*, db: Session, hold_id: uuid.UUID, user_id: uuid.UUID) -> Hold:
    """The caller's hold; `not_found` for anyone else's."""
    hold = db.get(Hold, hold_id)
    if hold is None or hold.user_id != user_id:
        raise not_found("hold")
    return hold


# db.info: (transaction, hold id, lines) of the hold this transaction created (lines never change).
_NEW_LINES = "new_hold_lines"


def hold_items(*, db: Session, hold_id: uuid.UUID) -> list[HoldItem]:
    """The lines of a hold, in display order."""
    created = db.info.get(_NEW_LINES)
    if created is not None and created[0] is db.get_transaction() and created[1] == hold_id:
        return list(created[2])
    return list(
        db.exec(
            select(HoldItem)
            .join(TicketType, TicketType.id == HoldItem.ticket_type_id)
            .where(HoldItem.hold_id == hold_id)
            .order_by(TicketType.sort_order, TicketType.name, HoldItem.id)
        ).all()
    )


def hold_state(hold: Hold, now: datetime) -> str:
    """active | expired | released | converted, as the customer sees it at `now`."""
    if hold.status == HoldStatus.active.value and hold.expires_at <= now:
        return "expired"
    return hold.status


def release_hold(*, db: Session, hold_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> Hold:
    """Give the hold's places back at once. Releasing twice is harmless; a checked-out hold is 409."""
    hold = lock_fresh(db, Hold, [hold_id]).get(hold_id)
    if hold is None or hold.user_id != user_id:
        raise not_found("hold")
    if hold.status == HoldStatus.converted.value:
        raise ServiceError("hold_converted", "This hold is already an order.")
    if hold.status == HoldStatus.released.value:
        return hold
    quantities = {i.ticket_type_id: i.quantity for i in hold_items(db=db, hold_id=hold.id)}
    # Locked although nothing is counted: claims are deleted only under their rows' locks, and
    # the live-update delta reports the locked sessions' fresh figures.
    lock_capacity(db, quantities=quantities, sessions_of=sessions_of_types(db, quantities))
    hold.status = HoldStatus.released.value
    db.add(hold)
    delete_claims(db, hold_id=hold.id)
    if hold.promo_code_id is not None:
        redemptions.release_for_hold(db, hold.id)  # the code's use is given back with the places
    presale_access.release_for_hold(db, hold.id)  # and the access code's
    seat_claims.release_hold_seats(db, hold_id=hold.id, now=now)
    bump_version(db, hold.event_id)
    return hold
