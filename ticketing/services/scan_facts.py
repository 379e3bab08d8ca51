"""What one scan at the door is decided on: the event and staff member, the locked ticket, the
sessions the scan may concern, the ticket's check-ins and seats (read by admission_store,
decided on by admission)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ScanContext:
    """The scanning event and staff member, and the stored answer to this nonce if any."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    timezone: str
    title: str
    role: str
    staff_name: str
    token_version: int  # the staff member's (access tokens of another version are void)
    prior: tuple[str, int, str, dict[str, Any]] | None  # result, status, message, data


@dataclass(frozen=True)
class SessionWindow:
    """The times and state of one session, as admission decides with them."""

    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    status: str


@dataclass(frozen=True)
class TicketRow:
    """A locked ticket with what a door screen shows of it."""

    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    code_version: int
    holder_name: str
    ticket_type_id: uuid.UUID
    type_name: str
    order_number: str
    code: str  # its current signed code, as issued
    sessions: tuple[SessionWindow, ...]  # of its ticket type in the scanning event, by start time


@dataclass(frozen=True)
class ScanFacts:
    """What one scan is decided on, read under the ticket's row lock."""

    ctx: ScanContext
    ticket: TicketRow | None  # None: no such ticket
    # The scanning event's sessions this scan may concern: running or starting within a day of
    # the scan, the ticket's own, and the one the gate named.
    sessions: dict[uuid.UUID, SessionWindow]
    checkins: dict[uuid.UUID, tuple[uuid.UUID, datetime, str]]  # session -> (id, at, gate) of the ticket
    seats: dict[uuid.UUID, str]  # session -> the ticket's seat there ("Stalls · Row A · Seat 12")
