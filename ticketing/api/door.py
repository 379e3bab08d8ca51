"""Door: POST /events/{id}/checkins (scan), GET /events/{id}/checkins/stats (counters), and
GET /events/{id}/door-list (what a scanner keeps for offline mode).

A red scan answer is problem+json with the contract's status and code plus the details a door
screen shows (holder, ticket type, first check-in time and gate). Same nonce -> same answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, PlainSerializer

from ticketing.api.catalog_schemas import IdIn, TimeIn
from ticketing.api.deps import current_user_id, token_claims
from ticketing.api.problems import problem
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.door import admission, door, short_codes
from ticketing.services.door.admission import ScanAnswer

router = APIRouter(tags=["door"])
UtcTime = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]


class CheckinIn(Strict):
    """`code` from a QR code or typed; or `ticket_id` when staff found the guest by a search.
    `scanned_at` only on scans a gate queued while offline (it already let the guest in).
    `gate` names the device or entrance shown on duplicates ("by North door")."""

    code: str | None = Field(default=None, max_length=200)
    ticket_id: IdIn | None = None
    session_id: IdIn | None = None
    nonce: str | None = Field(default=None, max_length=100)
    scanned_at: TimeIn | None = None
    gate: str | None = Field(default=None, max_length=60)


class AdmittedOut(BaseModel):
    result: str = "admitted"
    ticket_id: uuid.UUID
    holder_name: str
    ticket_type: str
    session_id: uuid.UUID
    session_name: str
    seat: str | None
    order_number: str
    checked_in_at: str
    gate: str
    conflict: str | None = None


class SessionStatsOut(BaseModel):
    session_id: uuid.UUID
    name: str
    starts_at: UtcTime
    admitted: int
    expected: int


def answer_response(answer: ScanAnswer) -> JSONResponse:
    """201 {result: "admitted", ...} or the red answer as problem+json."""
    if answer.admitted:
        response = JSONResponse({"result": answer.result, **answer.data}, status_code=answer.status)
    else:
        response = problem(answer.status, answer.result, answer.message, **answer.data)
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.post("/events/{event_id}/checkins", status_code=201, response_model=AdmittedOut,
             responses={404: {"description": "unknown_code"}, 409: {"description": "already_checked_in"},
                        422: {"description": "wrong_event, wrong_session, not_paid, cancelled, revoked"}})
def check_in(event_id: uuid.UUID, body: CheckinIn,
             caller: tuple[uuid.UUID, int] = Depends(token_claims)) -> JSONResponse:
    """Admit a ticket to a session (exactly once per ticket and session, whatever the gate)."""
    user_id, token_version = caller  # the scan checks the token's version with its first read
    code = body.code
    if code is not None and short_codes.normalize(code) is not None:
        # A short code typed from under the QR: the ticket's signed code is what gets admitted.
        with session_scope(readonly=True) as db:
            code = short_codes.signed_code_for(db, event_id=event_id, typed=code) or code
    answer = admission.scan_at_door(
        event_id=event_id, user_id=user_id, token_version=token_version, code=code, ticket_id=body.ticket_id,
        session_id=body.session_id, nonce=body.nonce, scanned_at=body.scanned_at, gate=body.gate, now=utcnow(),
    )
    return answer_response(answer)


@router.get("/events/{event_id}/checkins/stats", response_model=list[SessionStatsOut])
def checkin_stats(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[SessionStatsOut]:
    """Admitted / expected per session, in session order (expected: paid, uncancelled tickets)."""
    with session_scope(readonly=True) as db:
        event, _name = admission.door_event(db=db, event_id=event_id, user_id=user_id)
        return [
            SessionStatsOut(session_id=s.session_id, name=s.name, starts_at=s.starts_at, admitted=s.admitted,
                            expected=s.expected)
            for s in door.checkin_stats(db=db, event_id=event.id)
        ]


@router.get("/events/{event_id}/door-list")
def door_list(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> JSONResponse:
    """The verification key, sessions, tickets (id, code version, status, holder, order number)
    and check-ins so far: what a scanner keeps to go on admitting while offline."""
    with session_scope(readonly=True) as db:
        event, _name = admission.door_event(db=db, event_id=event_id, user_id=user_id)
        body = door.door_list(db=db, event=event, now=utcnow())
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
