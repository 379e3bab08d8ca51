"""What one scan at the door is decided on: the event and staff member, the locked ticket, the
sessions the scan may concern, the ticket's check-ins and seats (read by admission_store,
decided on by admission); the scan being decided, and the answer the door shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketing.services.errors import ServiceError

ADMITTED = "admitted"


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


@dataclass(frozen=True)
class ScanAnswer:
    """What the door shows: `result` is "admitted" or a refusal code; `data` JSON-able details."""

    result: str
    status: int
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    @property
    def admitted(self) -> bool:
        return self.result == ADMITTED


class NonceRace(ServiceError):
    """A concurrent request with the same nonce committed first: retry to get its answer."""

    def __init__(self) -> None:
        super().__init__("busy", "This scan is being processed; please retry.", status=503)


@dataclass
class Scan:
    """One scan being decided (what is known so far)."""

    ctx: ScanContext
    user_id: uuid.UUID
    gate: str
    at: datetime  # when the scan happened (now, or the offline gate's scanned_at)
    now: datetime
    offline: bool
    method: str
    nonce: str | None
    facts: ScanFacts
    ticket: TicketRow | None = None
    target: SessionWindow | None = None
    details: dict[str, Any] = field(default_factory=dict)
    logged: bool = False  # the scan log line went in with the check-in
