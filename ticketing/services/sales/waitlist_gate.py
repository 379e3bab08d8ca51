"""The waiting list's one rule on the hold path: freed places go to the list before general sale.

A ticket type someone waits for is sold only through offers (waitlist_offers.py). The hold path
asks under the locks of the places (the exact path, holds.py) or in its one statement (the claim
counters, hold_store.py, which then hands over to the exact path); so does checkout when it
re-takes an expired hold (orders.py): a lapsed hold does not jump the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ticketing.models import EntryStatus, WaitlistEntry
from ticketing.services.errors import ServiceError

_WAITING = (
    select(WaitlistEntry.ticket_type_id)
    .where(WaitlistEntry.ticket_type_id.in_(bindparam("ids", expanding=True)),
           WaitlistEntry.status == EntryStatus.waiting.value)
    .limit(1)
)


def waiting_type(db: Session, *, type_ids: Sequence[uuid.UUID]) -> uuid.UUID | None:
    """One of `type_ids` that somebody is waiting for, else None."""
    return db.exec(_WAITING, params={"ids": list(type_ids)}).first()


_SOLD_OUT = "These tickets are sold out; places that free up go to the waiting list first."


def refuse_while_waiting(db: Session, *, type_ids: Sequence[uuid.UUID], error_code: str = "insufficient_capacity",
                         message: str = _SOLD_OUT) -> None:
    """409 `insufficient_capacity` (or `error_code`, e.g. `hold_expired` at checkout), reason
    `waiting_list`, when someone waits for one of the types: places freed up are offered to them
    first. Asked under the locks of the places."""
    type_id = waiting_type(db, type_ids=type_ids)
    if type_id is not None:
        raise ServiceError(error_code, message, ticket_type_id=type_id, available=0, reason="waiting_list")
