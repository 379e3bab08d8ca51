"""Request and response bodies of the catalog routes, and the conversions from service views.

Requests keep the API's strict base (unknown fields 422, no coercion of numbers or booleans from
strings), except that ids and times are parsed from their JSON strings: strict mode would refuse
any UUID or datetime arriving as JSON text. Times must be ISO 8601 strings; a time without an
offset parses here and is refused by the service (422 invalid_times / invalid_sale_window), since
only the service knows which rule it breaks. Money is a decimal string, parsed by the service.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, model_validator

from ticketing.api.schemas import Strict
from ticketing.services import money
from ticketing.services.catalog import EventDetail, EventSummary, SessionView, TicketTypeView


def _iso_text(value: Any) -> Any:
    # Lax datetime parsing would also read numbers as Unix timestamps; the contract says ISO 8601.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string with an offset")
    return value


IdIn = Annotated[uuid.UUID, Field(strict=False)]
TimeIn = Annotated[datetime, BeforeValidator(_iso_text), Field(strict=False)]
UtcTime = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]


class PatchBody(Strict):
    """A partial update: absent fields stay as they are; `null` only where it means "none"."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> PatchBody:
        nulls = sorted(n for n in self.model_fields_set if getattr(self, n) is None and n not in self.NULLABLE)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as service keyword arguments."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# --- requests ------------------------------------------------------------------------------


class EventIn(Strict):
    title: str
    description: str
    location: str
    timezone: str
    hold_minutes: int = 15
    max_tickets_per_order: int = 10
    # Extensions beyond the v1 minimum: the rest of the event's settings.
    category: str = ""
    payment_minutes: int = 15
    one_ticket_per_attendee: bool = False
    attendee_names: str = Field(default="auto", description="Ask a name per ticket: auto (several sessions "
                                "or seats), on or off.")
    allow_cancellation: bool = True
    cancellation_deadline_hours: int = 24
    cancellation_fee_percent: int = 0
    offer_minutes: int = Field(default=30, description="How long a waiting-list offer holds its places.")


class EventPatch(PatchBody):
    title: str | None = None
    description: str | None = None
    location: str | None = None
    category: str | None = None
    timezone: str | None = None
    hold_minutes: int | None = None
    payment_minutes: int | None = None
    max_tickets_per_order: int | None = None
    one_ticket_per_attendee: bool | None = None
    attendee_names: str | None = None
    allow_cancellation: bool | None = None
    cancellation_deadline_hours: int | None = None
    cancellation_fee_percent: int | None = None
    offer_minutes: int | None = None


class SessionIn(Strict):
    name: str
    starts_at: TimeIn
    ends_at: TimeIn
    capacity: int
    prerequisite_session_ids: list[IdIn] = []


class SessionPatch(PatchBody):
    name: str | None = None
    starts_at: TimeIn | None = None
    ends_at: TimeIn | None = None
    capacity: int | None = None
    prerequisite_session_ids: list[IdIn] | None = None


class TicketTypeIn(Strict):
    name: str
    price: str = Field(description='Decimal string in major units, e.g. "23.00".')
    currency: str = Field(description="ISO 4217 code, e.g. EUR.")
    session_ids: list[IdIn] = []  # empty or missing -> 422 no_sessions
    max_quantity: int | None = None
    sale_starts_at: TimeIn | None = None
    sale_ends_at: TimeIn | None = None
    min_per_order: int = 1
    max_per_order: int | None = None
    description: str = ""
    is_active: bool = True
    sort_order: int | None = None


class TicketTypePatch(PatchBody):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"max_quantity", "sale_starts_at", "sale_ends_at", "max_per_order"})

    name: str | None = None
    price: str | None = None
    currency: str | None = None
    session_ids: list[IdIn] | None = None
    max_quantity: int | None = None
    sale_starts_at: TimeIn | None = None
    sale_ends_at: TimeIn | None = None
    min_per_order: int | None = None
    max_per_order: int | None = None
    description: str | None = None
    is_active: bool | None = None
    sort_order: int | None = None


# --- responses -----------------------------------------------------------------------------


class SessionOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    starts_at: UtcTime
    ends_at: UtcTime
    capacity: int
    status: str
    prerequisite_session_ids: list[uuid.UUID]


class TicketTypeOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    description: str
    price: str
    currency: str
    session_ids: list[uuid.UUID]
    max_quantity: int | None
    sale_starts_at: UtcTime | None
    sale_ends_at: UtcTime | None
    min_per_order: int
    max_per_order: int | None
    is_active: bool
    sort_order: int


class EventOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    description: str
    location: str
    category: str
    timezone: str
    status: str
    version: int
    hold_minutes: int
    payment_minutes: int
    max_tickets_per_order: int
    one_ticket_per_attendee: bool
    attendee_names: str
    allow_cancellation: bool
    cancellation_deadline_hours: int
    cancellation_fee_percent: int
    offer_minutes: int
    created_at: UtcTime
    sessions: list[SessionOut]
    ticket_types: list[TicketTypeOut]


class EventCancellationOut(EventOut):
    """The cancelled event, with what its cancellation did to the orders (refunds go to Stripe
    after commit, and are retried until Stripe confirms them)."""

    orders_cancelled: int = 0
    tickets_cancelled: int = 0
    refund: str = "0.00"  # total refunded, in the orders' currency (major units)


class EventSummaryOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    description: str
    location: str
    category: str
    timezone: str
    status: str
    starts_at: UtcTime | None  # first session's start
    ends_at: UtcTime | None  # last session's end
    next_starts_at: UtcTime | None  # first session not yet ended
    price_from: str | None  # lowest active price, when the event has one currency
    currency: str | None


def session_out(view: SessionView) -> SessionOut:
    s = view.session
    return SessionOut(
        id=s.id, event_id=s.event_id, name=s.name, starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity,
        status=s.status, prerequisite_session_ids=view.prerequisite_session_ids,
    )


def ticket_type_out(view: TicketTypeView) -> TicketTypeOut:
    t = view.ticket_type
    return TicketTypeOut(
        id=t.id, event_id=t.event_id, name=t.name, description=t.description,
        price=money.format_minor(t.price_minor, t.currency), currency=t.currency, session_ids=view.session_ids,
        max_quantity=t.max_quantity, sale_starts_at=t.sale_starts_at, sale_ends_at=t.sale_ends_at,
        min_per_order=t.min_per_order, max_per_order=t.max_per_order, is_active=t.is_active, sort_order=t.sort_order,
    )


def event_out(detail: EventDetail) -> EventOut:
    e = detail.event
    return EventOut(
        id=e.id, organization_id=e.organization_id, title=e.title, description=e.description, location=e.location,
        category=e.category, timezone=e.timezone, status=e.status, version=e.version, hold_minutes=e.hold_minutes,
        payment_minutes=e.payment_minutes, max_tickets_per_order=e.max_tickets_per_order,
        one_ticket_per_attendee=e.one_ticket_per_attendee, attendee_names=e.attendee_names,
        allow_cancellation=e.allow_cancellation, cancellation_deadline_hours=e.cancellation_deadline_hours,
        cancellation_fee_percent=e.cancellation_fee_percent, offer_minutes=e.offer_minutes, created_at=e.created_at,
        sessions=[session_out(s) for s in detail.sessions],
        ticket_types=[ticket_type_out(t) for t in detail.ticket_types],
    )


def event_summary_out(summary: EventSummary) -> EventSummaryOut:
    e = summary.event
    price_from = None
    if summary.price_from_minor is not None and summary.currency is not None:
        price_from = money.format_minor(summary.price_from_minor, summary.currency)
    return EventSummaryOut(
        id=e.id, organization_id=e.organization_id, title=e.title, description=e.description, location=e.location,
        category=e.category, timezone=e.timezone, status=e.status, starts_at=summary.starts_at,
        ends_at=summary.ends_at, next_starts_at=summary.next_starts_at, price_from=price_from,
        currency=summary.currency if price_from is not None else None,
    )
