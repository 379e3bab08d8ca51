"""/events and /orgs/{org_id}/events: the public event list and page, and the event lifecycle
(create, edit, publish, cancel) for the organization's owners and organizers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from ticketing.api.catalog_schemas import (
    EventCancellationOut,
    EventIn,
    EventOut,
    EventPatch,
    EventSummaryOut,
    event_out,
    event_summary_out,
)
from ticketing.api.deps import current_user_id
from ticketing.db import on_commit, session_scope
from ticketing.models.base import utcnow
from ticketing.notifications.console_mail import cancellation_messages, deliver
from ticketing.payments import refunds
from ticketing.services import catalog, money
from ticketing.services.catalog.event_cancellation import cancel_event_with_orders

router = APIRouter(tags=["events"])


def optional_user_id(authorization: str | None = Header(default=None)) -> uuid.UUID | None:
    """The caller when a token is sent (a bad one is still a 401); None for the anonymous public."""
    if authorization is None:
        return None
    return current_user_id(authorization)


@router.get("/events", response_model=list[EventSummaryOut])
def list_events(
    search: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    include_past: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[EventSummaryOut]:
    """Published events, soonest next session first (public)."""
    with session_scope(readonly=True) as db:
        summaries = catalog.list_published_events(
            db=db, now=utcnow(), search=search, category=category, include_past=include_past, limit=limit,
            offset=offset,
        )
        return [event_summary_out(s) for s in summaries]


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(event_id: uuid.UUID, user_id: uuid.UUID | None = Depends(optional_user_id)) -> EventOut:
    """An event with its sessions and ticket types: public once published; drafts for staff."""
    with session_scope(readonly=True) as db:
        return event_out(catalog.get_event(db=db, event_id=event_id, user_id=user_id))


@router.patch("/events/{event_id}", response_model=EventOut)
def update_event(event_id: uuid.UUID, body: EventPatch, user_id: uuid.UUID = Depends(current_user_id)) -> EventOut:
    with session_scope() as db:
        catalog.update_event(db=db, user_id=user_id, event_id=event_id, now=utcnow(), **body.changes())
        return event_out(catalog.get_event(db=db, event_id=event_id, user_id=user_id))


@router.post("/events/{event_id}/publish", response_model=EventOut)
def publish_event(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> EventOut:
    with session_scope() as db:
        catalog.publish_event(db=db, user_id=user_id, event_id=event_id, now=utcnow())
        return event_out(catalog.get_event(db=db, event_id=event_id, user_id=user_id))


@router.post("/events/{event_id}/cancel", response_model=EventCancellationOut)
def cancel_event(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> EventCancellationOut:
    """Cancel the event as the console does: its orders are cancelled, paid ones refunded in full
    through Stripe (after commit), its tickets refused at the door from then on, and the holders
    mailed after commit. Cancelling a cancelled event again changes nothing."""
    with session_scope() as db:
        done = cancel_event_with_orders(db=db, user_id=user_id, event_id=event_id, now=utcnow(),
                                        cancel_order=refunds.cancel_order_refunding)
        messages = cancellation_messages(done)  # composed now, sent once the cancellation is committed
        on_commit(db, lambda: deliver(messages))
        out = event_out(catalog.get_event(db=db, event_id=event_id, user_id=user_id))
        return EventCancellationOut(
            **out.model_dump(), orders_cancelled=done.orders_cancelled, tickets_cancelled=done.tickets_cancelled,
            refund=money.format_minor(done.refund_minor, done.currency or "EUR"),
        )


@router.post("/orgs/{org_id}/events", status_code=201, response_model=EventOut)
def create_event(org_id: uuid.UUID, body: EventIn, user_id: uuid.UUID = Depends(current_user_id)) -> EventOut:
    with session_scope() as db:
        event = catalog.create_event(db=db, user_id=user_id, organization_id=org_id, now=utcnow(), **body.model_dump())
        return event_out(catalog.get_event(db=db, event_id=event.id, user_id=user_id))


@router.get("/orgs/{org_id}/events", response_model=list[EventSummaryOut])
def list_org_events(
    org_id: uuid.UUID,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    user_id: uuid.UUID = Depends(current_user_id),
) -> list[EventSummaryOut]:
    """Every event of the organization, drafts included (its staff)."""
    with session_scope(readonly=True) as db:
        summaries = catalog.list_events_for_org(
            db=db, user_id=user_id, organization_id=org_id, now=utcnow(), status=status, limit=limit, offset=offset
        )
        return [event_summary_out(s) for s in summaries]
