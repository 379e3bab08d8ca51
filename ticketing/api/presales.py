"""/events/{event_id}/presales: an event's presales and their access codes (owner/organizer).
Thin: parse, call a service, convert. Buying with a code is POST /events/{id}/holds
(`access_code`); what a code opens, GET /events/{id}/availability?access_code=."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, PlainSerializer

from ticketing.api.catalog_schemas import IdIn, PatchBody, TimeIn
from ticketing.api.deps import current_user_id
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.presales import setup
from ticketing.services.presales.setup import PresaleView

router = APIRouter(prefix="/events/{event_id}/presales", tags=["presales"])
Time = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]


class PresaleIn(Strict):
    name: str = Field(max_length=200)
    starts_at: TimeIn
    ends_at: TimeIn
    ticket_type_ids: list[IdIn] | None = Field(default=None, max_length=200,
                                               description="reserved to the presale (none: every ticket type)")
    quota: int | None = Field(default=None, description="at most this many tickets sold through the presale")
    seat_ids: list[IdIn] | None = Field(default=None, max_length=20000,
                                        description="seated events: the block of event seats reserved to it")
    release_at_end: bool = Field(description="after the presale, its unsold block goes on general sale")


class PresalePatch(PatchBody):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"ticket_type_ids", "quota", "seat_ids"})

    name: str | None = Field(default=None, max_length=200)
    starts_at: TimeIn | None = None
    ends_at: TimeIn | None = None
    ticket_type_ids: list[IdIn] | None = Field(default=None, max_length=200)
    quota: int | None = None
    seat_ids: list[IdIn] | None = Field(default=None, max_length=20000)
    release_at_end: bool | None = None


class CodesIn(Strict):
    count: int | None = Field(default=None, description="how many codes to generate (XXXX-XXXX)")
    codes: list[str] | None = Field(default=None, max_length=1000, description="codes typed by the organizer")
    max_uses: int | None = Field(default=None, description="uses per code (holds that count), default 1")


class AccessCodeOut(BaseModel):
    id: uuid.UUID
    code: str
    max_uses: int
    uses: int  # counting now: live holds, unpaid orders within their deadline, paid orders


class CodesOut(BaseModel):
    codes: list[AccessCodeOut]


class PresaleOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    starts_at: Time
    ends_at: Time
    ticket_type_ids: list[uuid.UUID] | None
    quota: int | None
    seat_ids: list[uuid.UUID] | None
    release_at_end: bool
    status: str = Field(description="upcoming | on | over")
    sold: int = Field(description="tickets taken through its codes, counting now")
    codes: list[AccessCodeOut]


def _out(view: PresaleView) -> PresaleOut:
    p = view.presale
    return PresaleOut(
        id=p.id, event_id=p.event_id, name=p.name, starts_at=p.starts_at, ends_at=p.ends_at,
        ticket_type_ids=[uuid.UUID(t) for t in p.ticket_type_ids] if p.ticket_type_ids else None, quota=p.quota,
        seat_ids=[uuid.UUID(s) for s in p.seat_ids] if p.seat_ids else None, release_at_end=p.release_at_end,
        status=view.status, sold=view.sold,
        codes=[AccessCodeOut(id=c.code.id, code=c.code.code, max_uses=c.code.max_uses, uses=c.uses) for c in view.codes],
    )


def _view(db, user_id: uuid.UUID, event_id: uuid.UUID, presale_id: uuid.UUID) -> PresaleOut:
    return _out(next(v for v in setup.list_presales(db=db, user_id=user_id, event_id=event_id, now=utcnow())
                     if v.presale.id == presale_id))


@router.post("", status_code=201, response_model=PresaleOut)
def create_presale(event_id: uuid.UUID, body: PresaleIn, user_id: uuid.UUID = Depends(current_user_id)) -> PresaleOut:
    """A presale: from now until `ends_at` its block (seat_ids, else ticket_type_ids, else every
    ticket type) sells only with one of its access codes, from `starts_at`; afterwards it goes on
    general sale when `release_at_end`."""
    with session_scope() as db:
        presale = setup.create_presale(db=db, user_id=user_id, event_id=event_id,
                                       fields=body.model_dump(), now=utcnow())
        return _view(db, user_id, event_id, presale.id)


@router.get("", response_model=list[PresaleOut])
def list_presales(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[PresaleOut]:
    """The event's presales by start, with their codes and uses."""
    with session_scope(readonly=True) as db:
        return [_out(v) for v in setup.list_presales(db=db, user_id=user_id, event_id=event_id, now=utcnow())]


@router.patch("/{presale_id}", response_model=PresaleOut)
def update_presale(event_id: uuid.UUID, presale_id: uuid.UUID, body: PresalePatch,
                   user_id: uuid.UUID = Depends(current_user_id)) -> PresaleOut:
    """Change a presale's name, window, block, quota or release."""
    with session_scope() as db:
        setup.update_presale(db=db, user_id=user_id, event_id=event_id, presale_id=presale_id,
                             changes=body.changes(), now=utcnow())
        return _view(db, user_id, event_id, presale_id)


@router.post("/{presale_id}/codes", status_code=201, response_model=CodesOut)
def add_codes(event_id: uuid.UUID, presale_id: uuid.UUID, body: CodesIn,
              user_id: uuid.UUID = Depends(current_user_id)) -> CodesOut:
    """Access codes: `codes` as typed and/or `count` generated ones, each good for `max_uses`
    holds (default 1). Codes match case-insensitively and are unique in the event."""
    with session_scope() as db:
        made = setup.add_codes(db=db, user_id=user_id, event_id=event_id, presale_id=presale_id, codes=body.codes,
                               count=body.count, max_uses=body.max_uses, now=utcnow())
        return CodesOut(codes=[AccessCodeOut(id=c.id, code=c.code, max_uses=c.max_uses, uses=0) for c in made])
