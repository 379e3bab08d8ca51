"""/events/{event_id}/sessions and /ticket-types: the catalog an event sells (owner/organizer)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from ticketing.api.catalog_schemas import (
    SessionIn,
    SessionOut,
    SessionPatch,
    TicketTypeIn,
    TicketTypeOut,
    TicketTypePatch,
    session_out,
    ticket_type_out,
)
from ticketing.api.deps import current_user_id
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services import catalog

router = APIRouter(prefix="/events/{event_id}", tags=["catalog"])


@router.post("/sessions", status_code=201, response_model=SessionOut)
def create_session(event_id: uuid.UUID, body: SessionIn, user_id: uuid.UUID = Depends(current_user_id)) -> SessionOut:
    with session_scope() as db:
        view = catalog.create_session(db=db, user_id=user_id, event_id=event_id, now=utcnow(), **body.model_dump())
        return session_out(view)


@router.patch("/sessions/{session_id}", response_model=SessionOut)
def update_session(
    event_id: uuid.UUID, session_id: uuid.UUID, body: SessionPatch, user_id: uuid.UUID = Depends(current_user_id)
) -> SessionOut:
    with session_scope() as db:
        view = catalog.update_session(
            db=db, user_id=user_id, event_id=event_id, session_id=session_id, now=utcnow(), **body.changes()
        )
        return session_out(view)


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def delete_session(
    event_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)
) -> Response:
    with session_scope() as db:
        catalog.delete_session(db=db, user_id=user_id, event_id=event_id, session_id=session_id, now=utcnow())
    return Response(status_code=204)


@router.post("/ticket-types", status_code=201, response_model=TicketTypeOut)
def create_ticket_type(
    event_id: uuid.UUID, body: TicketTypeIn, user_id: uuid.UUID = Depends(current_user_id)
) -> TicketTypeOut:
    with session_scope() as db:
        view = catalog.create_ticket_type(db=db, user_id=user_id, event_id=event_id, now=utcnow(), **body.model_dump())
        return ticket_type_out(view)


@router.patch("/ticket-types/{ticket_type_id}", response_model=TicketTypeOut)
def update_ticket_type(
    event_id: uuid.UUID, ticket_type_id: uuid.UUID, body: TicketTypePatch, user_id: uuid.UUID = Depends(current_user_id)
) -> TicketTypeOut:
    with session_scope() as db:
        view = catalog.update_ticket_type(
            db=db, user_id=user_id, event_id=event_id, ticket_type_id=ticket_type_id, now=utcnow(), **body.changes()
        )
        return ticket_type_out(view)
