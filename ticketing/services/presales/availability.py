"""Availability as one caller meets the event's presales: without a code a reserved ticket type
says `presale_only`; with one, what the code unlocks (within its presale's quota)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from ticketing.services.presales.access import CallerView, caller_view
from ticketing.services.sales.availability import EventAvailability, TicketTypeAvailability, event_availability


def apply_presales(availability: EventAvailability, view: CallerView, now: datetime) -> EventAvailability:
    """The availability with each ticket type closed or opened by the presales for this caller."""
    rows: list[TicketTypeAvailability] = []
    unlocked = view.unlocked
    for row in availability.ticket_types:
        refusal = view.type_refusal(row.id, now)
        if refusal is not None:
            reason = refusal[0] if row.is_available or row.reason in ("quota_reached", "session_full") else row.reason
            row = replace(row, is_available=False, reason=reason, presale_id=refusal[1])
        elif unlocked is not None and _opens(unlocked, row.id):
            row = replace(row, presale_id=unlocked.id)
            if view.quota_left is not None and not unlocked.seat_ids:
                row = replace(row, available=min(row.available, view.quota_left))
                if view.quota_left == 0 and row.is_available:
                    row = replace(row, is_available=False, reason="quota_reached")
        rows.append(row)
    return replace(availability, ticket_types=rows)


def _opens(presale, type_id: uuid.UUID) -> bool:
    return bool(presale.seat_ids) or not presale.ticket_type_ids or str(type_id) in presale.ticket_type_ids


def caller_availability(*, db: Session, event_id: uuid.UUID, access_code: str | None,
                        now: datetime) -> EventAvailability:
    """event_availability for a caller with this access code (or none); 422
    `access_code_invalid`, 409 `access_code_used_up` for a code that opens nothing now."""
    view = caller_view(db, event_id=event_id, access_code=access_code, now=now)
    return apply_presales(event_availability(db=db, event_id=event_id, now=now), view, now)
