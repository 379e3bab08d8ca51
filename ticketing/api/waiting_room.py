"""The waiting room: organizers switch it on and set its rate; customers join, ask for their
place (which keeps it) and receive their admission token, sent as `Admission-Token` with
`POST /events/{id}/holds` while the room is on."""

from __future__ import annotations

import uuid
from fastapi import APIRouter, Depends, Response

from ticketing.api.deps import current_user_id, token_claims
from ticketing.api.catalog_schemas import TimeIn
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.waiting_room import rooms

router = APIRouter(tags=["waiting room"])
ROOM = "/events/{event_id}/waiting-room"


class RoomIn(Strict):
    enabled: bool | None = None
    rate_per_minute: int | None = None
    auto: bool | None = None
    opens_at: TimeIn | None = None


@router.get(ROOM, response_model=rooms.RoomOverview)
def get_room(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> rooms.RoomOverview:
    """The room as organizers see it: on or off, rate per minute, people waiting, let in so far
    (owner/organizer)."""
    with session_scope(readonly=True) as db:
        return rooms.room_overview(db=db, user_id=user_id, event_id=event_id)


@router.patch(ROOM, response_model=rooms.RoomOverview)
def change_room(event_id: uuid.UUID, body: RoomIn,
                user_id: uuid.UUID = Depends(current_user_id)) -> rooms.RoomOverview:
    """Switch the room on or off, change its admission rate (customers per minute), allow or
    forbid switching on by itself on a surge (owner/organizer). Switched on, arrivals before
    `opens_at` (default: the earliest future sale start, else now) get a random place, later
    ones join at the back; switched off, the queue is dropped."""
    with session_scope() as db:
        return rooms.configure_room(db=db, user_id=user_id, event_id=event_id, now=utcnow(), enabled=body.enabled,
                                    rate_per_minute=body.rate_per_minute, auto=body.auto, opens_at=body.opens_at)


@router.post(ROOM + "/join", response_model=rooms.QueueStatus)
def join(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> rooms.QueueStatus:
    """Take a place in the queue, or keep the one this account has (one per account)."""
    with session_scope() as db:
        return rooms.join_queue(db=db, event_id=event_id, user_id=user_id, now=utcnow())


@router.get(ROOM + "/me", response_model=rooms.QueueStatus)
def my_place(event_id: uuid.UUID, caller: tuple[uuid.UUID, int] = Depends(token_claims)) -> rooms.QueueStatus:
    """The caller's place, estimated wait, or admission. Ask again after `ask_again_seconds`
    (3 s near the front, up to 30 s far back: a quarter of the wait for the turn once the sale
    is open) until `state` is `admitted`; a place nobody asks about for the grace period
    (3 minutes by default) is given up. `wait_seconds` counts the `opens_in_seconds` left until
    the sale opens (the server's clock). `absent`: not in the queue (join again)."""
    # Every queue page asks this every few seconds: the token's signature is checked without
    # a trip through the thread pool (token_claims), its version here, in the route's one trip.
    user_id, token_version = caller
    accounts.check_token_version(user_id, token_version)
    with session_scope() as db:
        return rooms.queue_status(db=db, event_id=event_id, user_id=user_id, now=utcnow())


@router.delete(ROOM + "/me", status_code=204, response_class=Response)
def leave(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Give up the place in the queue."""
    with session_scope() as db:
        rooms.leave_queue(db=db, event_id=event_id, user_id=user_id)
    return Response(status_code=204)
