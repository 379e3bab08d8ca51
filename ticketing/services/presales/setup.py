"""The organizer's presales: create and change a presale, give it access codes (typed or
generated, each with a use limit), and read its figures. Owners and organizers only."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import Event, EventSeat, Presale, PresaleCode, PresaleUse, TicketType
from ticketing.models.base import new_id
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.live_changes import bump_event_version
from ticketing.services.presales.access import access_key, event_presales
from ticketing.services.promotions.redemptions import CODE_RE

MAX_CODES = 1000
MAX_LIMIT = 1_000_000
# No 0/O or 1/I/L: codes read out over the phone or copied from paper.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_FIELDS = ("name", "starts_at", "ends_at", "ticket_type_ids", "seat_ids", "quota", "release_at_end")


@dataclass(frozen=True)
class CodeFigures:
    code: PresaleCode
    uses: int  # counting now: live holds, unpaid orders within their deadline, paid orders


@dataclass(frozen=True)
class PresaleView:
    presale: Presale
    codes: list[CodeFigures]
    sold: int  # tickets bought through the presale's codes, counting now
    status: str  # upcoming | on | over


def _whole(value: object, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_LIMIT:
        raise invalid("invalid_input", f"{name} must be a whole number from {low} to {MAX_LIMIT}.", field=name)
    return value


def _ids(values: Sequence[object] | None, name: str) -> list[str] | None:
    if not values:
        return None
    try:
        return sorted({str(uuid.UUID(str(v))) for v in values})
    except ValueError:
        raise invalid("invalid_input", f"{name} must be ids.", field=name) from None


def _checked(db: Session, event: Event, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The presale's columns from its fields; 422 `invalid_input` / `invalid_times`, nothing written."""
    name = fields.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 120:
        raise invalid("invalid_input", "A presale needs a name of 1-120 characters.", field="name")
    for key in ("starts_at", "ends_at"):
        at = fields.get(key)
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise invalid("invalid_times", f"{key} must be a date and time with a UTC offset.", field=key)
    if fields["starts_at"] >= fields["ends_at"]:
        raise invalid("invalid_times", "The presale must end after it starts.", field="ends_at")
    type_ids = _ids(fields.get("ticket_type_ids"), "ticket_type_ids")
    if type_ids and len(db.exec(select(TicketType.id).where(
            TicketType.event_id == event.id, TicketType.id.in_([uuid.UUID(t) for t in type_ids]))).all()) != len(type_ids):
        raise invalid("invalid_input", "Only this event's ticket types can be reserved to its presale.",
                      field="ticket_type_ids")
    seat_ids = _ids(fields.get("seat_ids"), "seat_ids")
    if seat_ids and len(db.exec(select(EventSeat.id).where(
            EventSeat.event_id == event.id, EventSeat.id.in_([uuid.UUID(s) for s in seat_ids]))).all()) != len(seat_ids):
        raise invalid("invalid_input", "Only this event's seats can be reserved to its presale.", field="seat_ids")
    if type_ids and seat_ids:
        raise invalid("invalid_input", "A presale reserves ticket types or a block of seats, not both.",
                      field="seat_ids")
    quota = fields.get("quota")
    release = fields.get("release_at_end", True)
    if not isinstance(release, bool):
        raise invalid("invalid_input", "release_at_end is true or false.", field="release_at_end")
    return {"name": name.strip(), "starts_at": fields["starts_at"], "ends_at": fields["ends_at"],
            "ticket_type_ids": type_ids, "seat_ids": seat_ids,
            "quota": None if quota is None else _whole(quota, "quota"), "release_at_end": release}


def _touch_baskets(db: Session, event_id: uuid.UUID) -> None:
    """Move the revision of the event's ticket types (locked in id order, as holds lock them):
    a hold decided on a basket remembered before this change is refused by the claim counters
    and decided again, where the presale is seen (hold_store reads presales as `special`)."""
    ids = db.exec(select(TicketType.id).where(TicketType.event_id == event_id)).all()
    if ids:
        lock_rows(db, TicketType, list(ids))
        db.exec(update(TicketType).where(TicketType.id.in_(list(ids))).values(revision=TicketType.revision + 1))


def create_presale(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, fields: Mapping[str, Any],
                   now: datetime) -> Presale:
    """A new presale of the event (fields: name, starts_at, ends_at, ticket_type_ids?, seat_ids?,
    quota?, release_at_end); 422 as in _checked."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    _touch_baskets(db, event.id)
    presale = Presale(id=new_id(), event_id=event.id, created_at=now, **_checked(db, event, fields))
    db.add(presale)
    db.flush()
    bump_event_version(db=db, event_id=event.id, structure=True)  # open pages reload what is reserved
    return presale


def get_presale(db: Session, *, user_id: uuid.UUID, event_id: uuid.UUID, presale_id: uuid.UUID) -> Presale:
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    presale = db.get(Presale, presale_id)
    if presale is None or presale.event_id != event.id:
        raise not_found("presale")
    return presale


def update_presale(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, presale_id: uuid.UUID,
                   changes: Mapping[str, Any], now: datetime) -> Presale:
    """Change any of the presale's fields (the others kept); 422 as in _checked."""
    presale = get_presale(db, user_id=user_id, event_id=event_id, presale_id=presale_id)
    unknown = sorted(set(changes) - set(_FIELDS))
    if unknown:
        raise invalid("invalid_input", f"{unknown[0]} cannot be changed.", field=unknown[0])
    _touch_baskets(db, presale.event_id)
    presale = lock_rows(db, Presale, [presale.id])[0]
    db.refresh(presale)
    values = _checked(db, db.get(Event, presale.event_id), {**{f: getattr(presale, f) for f in _FIELDS}, **changes})
    for key, value in values.items():
        setattr(presale, key, value)
    db.add(presale)
    db.flush()
    bump_event_version(db=db, event_id=presale.event_id, structure=True)
    return presale


def add_codes(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, presale_id: uuid.UUID,
              codes: Sequence[str] | None = None, count: int | None = None, max_uses: int | None = None,
              now: datetime) -> list[PresaleCode]:
    """Access codes for the presale: the typed `codes` and/or `count` generated ones
    (XXXX-XXXX), each usable `max_uses` times (default 1). 409 `duplicate_code` (a code the
    event has already, case-insensitive); 422 `invalid_input`."""
    presale = get_presale(db, user_id=user_id, event_id=event_id, presale_id=presale_id)
    uses = 1 if max_uses is None else _whole(max_uses, "max_uses")
    typed = [] if codes is None else list(codes)
    if not isinstance(typed, list) or any(not isinstance(c, str) or not CODE_RE.fullmatch(c.strip()) for c in typed):
        raise invalid("invalid_input", "A code is 1-40 letters, digits, '-' or '_'.", field="codes")
    wanted = 0 if count is None else _whole(count, "count", low=0)
    if not typed and not wanted:
        raise invalid("invalid_input", "Give codes, or a count of codes to generate.", field="count")
    if len(typed) + wanted > MAX_CODES:
        raise invalid("invalid_input", f"At most {MAX_CODES} codes at once.", field="count")
    keys = [access_key(c) for c in typed]
    if len(set(keys)) != len(keys) or _taken(db, presale.event_id, keys):
        raise ServiceError("duplicate_code", "This event already has that access code.", field="codes")
    texts = [c.strip() for c in typed]
    generated: set[str] = set()
    while len(generated) < wanted:
        fresh = {f"{_chunk()}-{_chunk()}" for _ in range(wanted - len(generated))}
        generated |= fresh - {k.upper() for k in _taken(db, presale.event_id, [f.lower() for f in fresh])}
    rows = [PresaleCode(id=new_id(), presale_id=presale.id, event_id=presale.event_id, code=text,
                        code_key=text.lower(), max_uses=uses, created_at=now) for text in texts + sorted(generated)]
    try:
        with db.begin_nested():
            db.add_all(rows)
            db.flush()
    except IntegrityError:
        raise ServiceError("duplicate_code", "This event already has that access code.", field="codes") from None
    return rows


def _chunk() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(4))


def _taken(db: Session, event_id: uuid.UUID, keys: Sequence[str]) -> set[str]:
    return set(db.exec(select(PresaleCode.code_key).where(PresaleCode.event_id == event_id,
                                                          PresaleCode.code_key.in_(list(keys)))).all())


def status_of(presale: Presale, now: datetime) -> str:
    if now < presale.starts_at:
        return "upcoming"
    return "on" if now < presale.ends_at else "over"


def list_presales(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> list[PresaleView]:
    """The event's presales by start, each with its codes and their uses, and the tickets sold
    through it (counting now)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    presales = event_presales(db, event.id)
    ids = [p.id for p in presales]
    codes = db.exec(select(PresaleCode).where(PresaleCode.presale_id.in_(ids))
                    .order_by(PresaleCode.created_at, PresaleCode.code)).all() if ids else []
    uses = dict(db.exec(select(PresaleUse.code_id, func.count()).where(
        PresaleUse.presale_id.in_(ids), PresaleUse.expires_at > now).group_by(PresaleUse.code_id)).all()) if ids else {}
    sold = dict(db.exec(select(PresaleUse.presale_id, func.sum(PresaleUse.quantity)).where(
        PresaleUse.presale_id.in_(ids), PresaleUse.expires_at > now).group_by(PresaleUse.presale_id)).all()) if ids else {}
    return [PresaleView(presale=p, codes=[CodeFigures(c, uses.get(c.id, 0)) for c in codes if c.presale_id == p.id],
                        sold=int(sold.get(p.id) or 0), status=status_of(p, now)) for p in presales]
