"""Who may buy a presale's block: the access code a hold brings, checked and counted under the
presale's row lock, and its use carried with the hold, then its order.

A presale reserves its block (its seats, else its ticket types, else every ticket type of the
event) from its creation until it ends, and for good when it does not release the block at its
end; only its access codes unlock it, during its window. A use counts, like a place claim, only
while expires_at > now: it lapses with its hold, then its order's payment deadline, and never
once the order is paid. Holds take the presale's lock after their places' (the lock order of
every sale), so the uses of a code and the presale's quota are never exceeded.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import EventSeat, HoldSeat, Presale, PresaleCode, PresaleUse
from ticketing.models.base import new_id
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.promotions.redemptions import CODE_RE, FOREVER


def access_key(text: object) -> str:
    """The code as matched (stripped, lower case); 422 `access_code_invalid` when it cannot be one."""
    if not isinstance(text, str) or not CODE_RE.fullmatch(text.strip()):
        raise invalid("access_code_invalid", "This access code is not valid for this event.")
    return text.strip().lower()


def find_access_code(db: Session, *, event_id: uuid.UUID, code: str) -> PresaleCode:
    """The event's access code; 422 `access_code_invalid` when unknown here (another event's too)."""
    found = db.exec(select(PresaleCode).where(PresaleCode.event_id == event_id,
                                              PresaleCode.code_key == access_key(code))).first()
    if found is None:
        raise invalid("access_code_invalid", "This access code is not valid for this event.")
    return found


def reserved(presale: Presale, now: datetime) -> bool:
    """Whether the presale's block is closed to buyers without its code at `now`."""
    return now < presale.ends_at or not presale.release_at_end


def in_window(presale: Presale, now: datetime) -> bool:
    return presale.starts_at <= now < presale.ends_at


def block_units(presale: Presale, quantities: Mapping[uuid.UUID, int], seat_ids: Collection[uuid.UUID]) -> int:
    """How many of these tickets (or seats) fall in the presale's block."""
    if presale.seat_ids:
        block = set(presale.seat_ids)
        return sum(1 for s in seat_ids if str(s) in block)
    if presale.ticket_type_ids:
        types = set(presale.ticket_type_ids)
        return sum(q for t, q in quantities.items() if str(t) in types)
    return sum(quantities.values())


def event_presales(db: Session, event_id: uuid.UUID) -> list[Presale]:
    return list(db.exec(select(Presale).where(Presale.event_id == event_id).order_by(Presale.starts_at,
                                                                                     Presale.id)).all())


def live_uses(db: Session, *, now: datetime, code_id: uuid.UUID | None = None,
              presale_id: uuid.UUID | None = None, tickets: bool = False) -> int:
    """Uses (or, with `tickets`, tickets bought through them) counting at `now`, of a code or a presale."""
    stmt = select(func.coalesce(func.sum(PresaleUse.quantity), 0) if tickets else func.count()).where(
        PresaleUse.expires_at > now)
    if code_id is not None:
        stmt = stmt.where(PresaleUse.code_id == code_id)
    if presale_id is not None:
        stmt = stmt.where(PresaleUse.presale_id == presale_id)
    return int(db.exec(stmt).one())


@dataclass(frozen=True)
class Grant:
    """A use the hold may take (recorded once the hold row exists)."""

    presale_id: uuid.UUID
    code_id: uuid.UUID
    quantity: int


def _refuse_window(presale: Presale, now: datetime) -> None:
    if now < presale.starts_at:
        raise invalid("access_code_invalid", f"The presale '{presale.name}' has not started yet.",
                      reason="not_started", presale_id=presale.id, starts_at=presale.starts_at)
    if now >= presale.ends_at:
        raise invalid("access_code_invalid", f"The presale '{presale.name}' is over.",
                      reason="ended", presale_id=presale.id, ends_at=presale.ends_at)


def grant_access(db: Session, *, event_id: uuid.UUID, quantities: Mapping[uuid.UUID, int],
                 seat_ids: Collection[uuid.UUID], access_code: str | None, now: datetime) -> Grant | None:
    """Whether this basket may be bought with this code now, the presale locked (call it under
    the places' locks): None when nothing in it is reserved. 422 `access_code_required` (a
    reserved block and no code, or a code of another presale), `access_code_invalid` (unknown,
    another event's, outside its presale's window); 409 `access_code_used_up`, `quota_reached`
    (reason `presale_quota`)."""
    needed = [(p, n) for p in event_presales(db, event_id) if reserved(p, now)
              for n in [block_units(p, quantities, seat_ids)] if n > 0]
    if not needed:
        return None
    code = None if access_code is None else find_access_code(db, event_id=event_id, code=access_code)
    foreign = [p for p, _ in needed if code is None or p.id != code.presale_id]
    if foreign:
        raise invalid("access_code_required",
                      f"These tickets are reserved to the presale '{foreign[0].name}': enter its access code.",
                      presale_id=foreign[0].id)
    presale, units = needed[0]
    presale = lock_rows(db, Presale, [presale.id])[0]
    db.refresh(presale)
    _refuse_window(presale, now)
    if live_uses(db, code_id=code.id, now=now) >= code.max_uses:
        raise ServiceError("access_code_used_up", "This access code has been used up.", max_uses=code.max_uses)
    if presale.quota is not None:
        left = presale.quota - live_uses(db, presale_id=presale.id, now=now, tickets=True)
        if units > left:
            raise ServiceError("quota_reached", f"Only {max(left, 0)} more ticket(s) can be sold in this presale.",
                               reason="presale_quota", presale_id=presale.id, available=max(left, 0))
    return Grant(presale.id, code.id, units)


def record_use(db: Session, *, grant: Grant | None, user_id: uuid.UUID, hold_id: uuid.UUID, expires_at: datetime,
               now: datetime, order_id: uuid.UUID | None = None) -> None:
    """Write the use grant_access allowed, once its hold (and order) rows are written."""
    if grant is not None:
        db.add(PresaleUse(id=new_id(), presale_id=grant.presale_id, code_id=grant.code_id, user_id=user_id,
                          hold_id=hold_id, order_id=order_id, quantity=grant.quantity, expires_at=expires_at,
                          created_at=now))
        db.flush()


def hold_code(db: Session, hold_id: uuid.UUID) -> str | None:
    """The access code a hold was taken with, lapsed or not."""
    return db.exec(select(PresaleCode.code).join(PresaleUse, PresaleUse.code_id == PresaleCode.id)
                   .where(PresaleUse.hold_id == hold_id)).first()


def hold_seat_ids(db: Session, hold_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db.exec(select(HoldSeat.event_seat_id).where(HoldSeat.hold_id == hold_id)).all())


def regrant(db: Session, *, event_id: uuid.UUID, hold_id: uuid.UUID, quantities: Mapping[uuid.UUID, int],
            now: datetime) -> Grant | None:
    """An expired hold re-taken at checkout, under the places' locks: its lapsed use is given
    back and the basket checked anew with the code it was taken with, as a new hold would be."""
    code = hold_code(db, hold_id)
    release_for_hold(db, hold_id)
    return grant_access(db, event_id=event_id, quantities=quantities, seat_ids=hold_seat_ids(db, hold_id),
                        access_code=code, now=now)


def carry_to_order(db: Session, *, grant: Grant | None, user_id: uuid.UUID, hold_id: uuid.UUID,
                   order_id: uuid.UUID, use_until: datetime, now: datetime) -> None:
    """At checkout: the use regrant allowed is written for the order, else the live hold's use
    (if any) moves to it."""
    if grant is not None:
        record_use(db, grant=grant, user_id=user_id, hold_id=hold_id, order_id=order_id, expires_at=use_until,
                   now=now)
        return
    db.exec(update(PresaleUse).where(PresaleUse.hold_id == hold_id).values(order_id=order_id, expires_at=use_until))


def release_for_hold(db: Session, hold_id: uuid.UUID) -> None:
    """The hold was released or re-taken: its use is given back."""
    db.exec(delete(PresaleUse).where(PresaleUse.hold_id == hold_id, PresaleUse.order_id.is_(None)))


def confirm_for_order(db: Session, order_id: uuid.UUID) -> None:
    """The order is paid: its use never lapses."""
    db.exec(update(PresaleUse).where(PresaleUse.order_id == order_id).values(expires_at=FOREVER))


def release_for_order(db: Session, order_id: uuid.UUID) -> None:
    """The order was cancelled whole: its use is given back."""
    db.exec(delete(PresaleUse).where(PresaleUse.order_id == order_id))


@dataclass(frozen=True)
class CallerView:
    """What one caller (with the code they typed, if any) may buy of the event's presales now."""

    presales: list[Presale]
    unlocked: Presale | None  # the presale the caller's code opens now
    quota_left: int | None  # of the unlocked presale

    def type_refusal(self, type_id: uuid.UUID, now: datetime) -> tuple[str, uuid.UUID] | None:
        """(reason, presale id) when the ticket type is closed to this caller by a presale."""
        for p in self.presales:
            if p.seat_ids or not reserved(p, now) or (p.ticket_type_ids and str(type_id) not in p.ticket_type_ids):
                continue
            if self.unlocked is not None and self.unlocked.id == p.id:
                continue
            return ("presale_only" if now < p.ends_at else "sale_ended"), p.id
        return None

    def closed_blocks(self, now: datetime) -> list[Presale]:
        """The presales whose seat blocks are closed to this caller."""
        return [p for p in self.presales
                if p.seat_ids and reserved(p, now) and not (self.unlocked is not None and self.unlocked.id == p.id)]

    def locked_seats(self, now: datetime) -> set[str]:
        """Event seat ids (strings) of seat blocks closed to this caller."""
        return {seat for p in self.closed_blocks(now) for seat in p.seat_ids}


def seat_blocks(presales: Collection[Presale]) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """{event seat id: ids of the presales whose seat blocks hold it}, for the seat counts."""
    out: dict[uuid.UUID, set[uuid.UUID]] = {}
    for p in presales:
        for seat in p.seat_ids or ():
            out.setdefault(uuid.UUID(seat), set()).add(p.id)
    return {seat: frozenset(ids) for seat, ids in out.items()}


def apply_presales(rows: list, view: CallerView, now: datetime) -> list:
    """Availability rows (sales.availability.TicketTypeAvailability) as this caller meets the
    presales: closed (`presale_only`, or `sale_ended` for a block kept after its presale) or
    opened by the caller's code, within its presale's quota."""
    out = []
    unlocked = view.unlocked
    for row in rows:
        refusal = view.type_refusal(row.id, now)
        if refusal is not None:
            reason = refusal[0] if row.is_available or row.reason in ("quota_reached", "session_full") else row.reason
            row = replace(row, is_available=False, reason=reason, presale_id=refusal[1])
        elif unlocked is not None and (unlocked.seat_ids or not unlocked.ticket_type_ids
                                       or str(row.id) in unlocked.ticket_type_ids):
            row = replace(row, presale_id=unlocked.id)
            if view.quota_left is not None and not unlocked.seat_ids:
                row = replace(row, available=min(row.available, view.quota_left))
                if view.quota_left == 0 and row.is_available:
                    row = replace(row, is_available=False, reason="quota_reached")
        out.append(row)
    return out


def caller_view(db: Session, *, event_id: uuid.UUID, access_code: str | None, now: datetime,
                presales: list[Presale] | None = None) -> CallerView:
    """The event's presales (read unless given) as this caller meets them; 422
    `access_code_invalid` for a code that opens nothing now (unknown, another event's, outside
    its window), 409 `access_code_used_up`."""
    presales = event_presales(db, event_id) if presales is None else presales
    if access_code is None or not presales:
        if access_code is not None:  # an event without presales has no access codes
            raise invalid("access_code_invalid", "This access code is not valid for this event.")
        return CallerView(presales, None, None)
    code = find_access_code(db, event_id=event_id, code=access_code)
    presale = next(p for p in presales if p.id == code.presale_id)
    _refuse_window(presale, now)
    if live_uses(db, code_id=code.id, now=now) >= code.max_uses:
        raise ServiceError("access_code_used_up", "This access code has been used up.", max_uses=code.max_uses)
    left = None if presale.quota is None else max(
        presale.quota - live_uses(db, presale_id=presale.id, now=now, tickets=True), 0)
    return CallerView(presales, presale, left)


def has_presales(db: Session, event_id: uuid.UUID) -> bool:
    return db.exec(select(func.count()).select_from(Presale).where(Presale.event_id == event_id)).one() > 0



def locked_idxs(db: Session, *, event_id: uuid.UUID, session_id: uuid.UUID, access_code: str | None,
                now: datetime) -> set[int]:
    """Map indexes of the session's seats closed to this caller by seat-block presales (a code
    that opens nothing now is refused as in caller_view)."""
    seats = caller_view(db, event_id=event_id, access_code=access_code, now=now).locked_seats(now)
    if not seats:
        return set()
    return set(db.exec(select(EventSeat.idx).where(EventSeat.session_id == session_id,
                                                   EventSeat.id.in_([uuid.UUID(s) for s in seats]))).all())
