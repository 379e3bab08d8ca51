"""The waiting room: organizers switch it on and set its rate; customers join, ask for their
place (which keeps it) and receive their admission token, sent as `Admission-Token` with
`POST /events/{id}/holds` while the room is on."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from ticketing.api.deps import current_user_id
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.waiting_room import rooms

router = APIRouter(tags=["waiting room"])
ROOM = "/events/{event_id}/waiting-room"


class RoomIn(Strict):
    enabled: bool | None = None
    rate_per_minute: int | None = None
    auto: bool | None = None
    opens_at: datetime | None = None


class RoomOut(BaseModel):
    event_id: uuid.UUID
    enabled: bool
    auto: bool
    auto_started: bool
    rate_per_minute: int
    opens_at: datetime | None
    waiting: int
    admitted_total: int
    drain_seconds: int


class QueueOut(BaseModel):
    """`state`: `open` (no room: hold right away), `waiting`, `admitted` (send `admission_token`
    as the `Admission-Token` header of holds until `admitted_until`) or `absent` (join again)."""

    state: str
    position: int | None
    waiting: int
    wait_seconds: int | None
    opens_at: datetime | None
    admission_token: str | None
    admitted_until: datetime | None


def _room_out(view: rooms.RoomOverview) -> RoomOut:
    return RoomOut(**vars(view))


def _queue_out(status: rooms.QueueStatus) -> QueueOut:
    return QueueOut(**vars(status))


@router.get(ROOM, response_model=RoomOut)
def get_room(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> RoomOut:
    """The room as organizers see it: on or off, rate per minute, people waiting, let in so far
    (owner/organizer)."""
    with session_scope(readonly=True) as db:
        return _room_out(rooms.room_overview(db=db, user_id=user_id, event_id=event_id))


@router.patch(ROOM, response_model=RoomOut)
def change_room(event_id: uuid.UUID, body: RoomIn, user_id: uuid.UUID = Depends(current_user_id)) -> RoomOut:
    """Switch the room on or off, change its admission rate (customers per minute), allow or
    forbid switching on by itself on a surge (owner/organizer). Switched on, arrivals before
    `opens_at` (default: the earliest future sale start, else now) get a random place, later
    ones join at the back; switched off, the queue is dropped."""
    with session_scope() as db:
        return _room_out(rooms.configure_room(db=db, user_id=user_id, event_id=event_id, now=utcnow(),
                                              enabled=body.enabled, rate_per_minute=body.rate_per_minute,
                                              auto=body.auto, opens_at=body.opens_at))


@router.post(ROOM + "/join", response_model=QueueOut)
def join(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> QueueOut:
    """Take a place in the queue, or keep the one this account has (one per account)."""
    with session_scope() as db:
        return _queue_out(rooms.join_queue(db=db, event_id=event_id, user_id=user_id, now=utcnow()))


@router.get(ROOM + "/me", response_model=QueueOut)
def my_place(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> QueueOut:
    """The caller's place, estimated wait, or admission. Ask every few seconds: a place nobody
    asks about for the grace period (3 minutes by default) is given up."""
    with session_scope() as db:
        return _queue_out(rooms.queue_status(db=db, event_id=event_id, user_id=user_id, now=utcnow()))


@router.delete(ROOM + "/me", status_code=204, response_class=Response)
def leave(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Give up the place in the queue."""
    with session_scope() as db:
        rooms.leave_queue(db=db, event_id=event_id, user_id=user_id)
    return Response(status_code=204)
