"""Waiting lists: /events/{event_id}/waitlist (join; the organizer's view, offers, closing),
/me/waitlist, /waitlist/{entry_id}. Thin: parse, call a service, convert."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field, PlainSerializer

from ticketing.api.catalog_schemas import IdIn
from ticketing.api.deps import current_user_id
from ticketing.api.problems import problem_responses
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.services.sales import waitlist, waitlist_offers
from ticketing.services.sales.waitlist import EntryView

router = APIRouter(tags=["waiting list"])
Time = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]
_SIGNED_IN = dict(s401="not_authenticated, invalid_token")
_MANAGE = dict(**_SIGNED_IN, s403="forbidden (a door role)",
               s404="not_found (unknown event, or another organization's)")


class JoinIn(Strict):
    ticket_type_id: IdIn
    quantity: int = Field(default=1, description="places wanted, 1 to the type's (and event's) maximum per order")


class EntryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID
    ticket_type_name: str
    quantity: int
    status: str = Field(description="waiting | offered | bought | lapsed | left | closed")
    position: int | None = Field(description="1 = first in line; null once no longer waiting or offered")
    hold_id: uuid.UUID | None = Field(description="offered: the hold made for the customer (check it out)")
    offer_expires_at: Time | None
    created_at: Time


class OrganizerEntryOut(EntryOut):
    user_id: uuid.UUID
    offers: int = Field(description="offers made to this entry so far")


def _out(view: EntryView) -> EntryOut:
    e = view.entry
    return EntryOut(id=e.id, event_id=e.event_id, ticket_type_id=e.ticket_type_id,
                    ticket_type_name=view.ticket_type_name, quantity=e.quantity, status=view.state,
                    position=view.position, hold_id=e.hold_id if view.state == "offered" else None,
                    offer_expires_at=e.offer_expires_at if view.state == "offered" else None, created_at=e.created_at)


def _organizer_out(view: EntryView) -> OrganizerEntryOut:
    return OrganizerEntryOut(**_out(view).model_dump(), user_id=view.entry.user_id, offers=view.entry.offers)


@router.post("/events/{event_id}/waitlist", status_code=201, response_model=EntryOut,
             responses=problem_responses(**_SIGNED_IN, s404="not_found (event, ticket type)",
                                         s409="not_sold_out, already_waiting, waitlist_closed",
                                         s422="invalid_quantity, not_on_sale"))
def join_waitlist(event_id: uuid.UUID, body: JoinIn, user_id: uuid.UUID = Depends(current_user_id)) -> EntryOut:
    """Join a sold-out ticket type's waiting list for `quantity` places. When places free up,
    the oldest entry that fits gets them as an offer (`status: "offered"`, `hold_id`,
    `offer_expires_at`): a hold made for the customer, checked out like any hold. 409
    `not_sold_out` when the places can be bought now."""
    with session_scope() as db:
        return _out(waitlist.join_waitlist(db=db, event_id=event_id, user_id=user_id,
                                           ticket_type_id=body.ticket_type_id, quantity=body.quantity,
                                           now=utcnow()))


@router.get("/me/waitlist", response_model=list[EntryOut], responses=problem_responses(**_SIGNED_IN))
def my_waitlist(user_id: uuid.UUID = Depends(current_user_id)) -> list[EntryOut]:
    """The caller's waiting-list entries, newest first, with their positions and offers."""
    with session_scope(readonly=True) as db:
        return [_out(v) for v in waitlist.my_waitlist(db=db, user_id=user_id, now=utcnow())]


@router.delete("/waitlist/{entry_id}", status_code=204, response_class=Response,
               responses=problem_responses(**_SIGNED_IN, s404="not_found (unknown, or another customer's)"))
def leave_waitlist(entry_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Leave the list (204 also when already off it); an offer held is released and passes on."""
    with session_scope() as db:
        waitlist.leave_waitlist(db=db, entry_id=entry_id, user_id=user_id, now=utcnow())
    return Response(status_code=204)


@router.get("/events/{event_id}/waitlist", response_model=list[OrganizerEntryOut],
            responses=problem_responses(**_MANAGE))
def event_waitlist(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[OrganizerEntryOut]:
    """Every entry of the event's lists (owner/organizer), per ticket type in line order."""
    with session_scope(readonly=True) as db:
        return [_organizer_out(v) for v in waitlist.event_waitlist(db=db, event_id=event_id, user_id=user_id,
                                                                   now=utcnow())]


@router.post("/events/{event_id}/waitlist/{entry_id}/offer", response_model=OrganizerEntryOut,
             responses=problem_responses(**_MANAGE, s409="not_offerable, insufficient_capacity, quota_reached, "
                                                         "active_hold_exists"))
def offer_entry(event_id: uuid.UUID, entry_id: uuid.UUID,
                user_id: uuid.UUID = Depends(current_user_id)) -> OrganizerEntryOut:
    """Offer free places to one waiting entry now, whatever its place in line (owner/organizer);
    the customer is mailed as for any offer."""
    with session_scope() as db:
        now = utcnow()
        entry = waitlist_offers.offer_entry(db=db, event_id=event_id, user_id=user_id, entry_id=entry_id, now=now)
        enqueue(db, "waitlist_offer_mail", entry_id=str(entry.id), offers=entry.offers)
        view = next(v for v in waitlist.event_waitlist(db=db, event_id=event_id, user_id=user_id, now=now)
                    if v.entry.id == entry_id)
        return _organizer_out(view)


class CloseIn(Strict):
    ticket_type_id: IdIn
    closed: bool = Field(default=True, description="false reopens the list")


class CloseOut(BaseModel):
    ticket_type_id: uuid.UUID
    closed: bool
    entries_closed: int


@router.post("/events/{event_id}/waitlist/close", response_model=CloseOut,
             responses=problem_responses(**_MANAGE))
def close_waitlist(event_id: uuid.UUID, body: CloseIn, user_id: uuid.UUID = Depends(current_user_id)) -> CloseOut:
    """Close a ticket type's list (owner/organizer): nobody joins any more, waiting entries are
    closed, offers already made stand, freed places go back to general sale. `closed: false`
    reopens it."""
    with session_scope() as db:
        if body.closed:
            n = waitlist.close_waitlist(db=db, event_id=event_id, user_id=user_id,
                                        ticket_type_id=body.ticket_type_id, now=utcnow())
        else:
            waitlist.reopen_waitlist(db=db, event_id=event_id, user_id=user_id, ticket_type_id=body.ticket_type_id)
            n = 0
    return CloseOut(ticket_type_id=body.ticket_type_id, closed=body.closed, entries_closed=n)
