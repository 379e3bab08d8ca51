"""Venues (organization staff), price levels and seating of sessions (owner/organizer), and the
seat map: layout (once, gzip, ETag), status snapshot, seat details, best available, and the
organizer's bulk seat actions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from ticketing.api.deps import current_user_id
from ticketing.api.sales import optional_user_id
from ticketing.api.seating_schemas import (
    BestIn,
    BestOut,
    PriceLevelIn,
    PriceLevelOut,
    SeatActionIn,
    SeatActionOut,
    SeatDetailOut,
    SeatingIn,
    SeatingOut,
    SeatOut,
    StatusOut,
    VenueIn,
    VenueOut,
    price_level_out,
    venue_out,
)
from ticketing.db import session_scope
from ticketing.models import EventSession
from ticketing.models.base import utcnow
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import invalid
from ticketing.services.sales.availability import visible_event
from ticketing.services.presales.access import locked_idxs
from ticketing.services.seating import layouts, seat_map, seat_sales, seating, venues

router = APIRouter(tags=["seating"])
MAP = "/events/{event_id}/sessions/{session_id}"


@router.post("/orgs/{org_id}/venues", status_code=201, response_model=VenueOut)
def create_venue(org_id: uuid.UUID, body: VenueIn, user_id: uuid.UUID = Depends(current_user_id)) -> VenueOut:
    """A venue from the layout generator (`generate`) or an exported layout (`layout`)."""
    plan = venues.layout_from_request(generate=body.generate, layout=body.layout)
    with session_scope() as db:
        return venue_out(venues.create_venue(db=db, user_id=user_id, organization_id=org_id, layout=plan,
                                             now=utcnow()))


@router.get("/orgs/{org_id}/venues", response_model=list[VenueOut])
def list_venues(org_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[VenueOut]:
    with session_scope(readonly=True) as db:
        return [venue_out(v) for v in venues.list_venues(db=db, user_id=user_id, organization_id=org_id)]


@router.get("/venues/{venue_id}", response_model=VenueOut)
def get_venue(venue_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> VenueOut:
    with session_scope(readonly=True) as db:
        return venue_out(venues.get_venue(db=db, user_id=user_id, venue_id=venue_id))


@router.get("/venues/{venue_id}/layout")
def export_layout(venue_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> JSONResponse:
    """The venue's layout document (what POST .../venues accepts as `layout`)."""
    with session_scope(readonly=True) as db:
        venue = venues.get_venue(db=db, user_id=user_id, venue_id=venue_id)
        doc = layouts.export_layout(venues.venue_layout(db, venue))
    filename = "".join(c if c.isalnum() else "-" for c in venue.name).strip("-") or "venue"
    return JSONResponse(doc, headers={"Content-Disposition": f'attachment; filename="{filename}.layout.json"'})


@router.get("/venues/{venue_id}/seatmap")
def venue_map(venue_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> JSONResponse:
    """The venue in the map's compact encoding (organizer preview: no prices, no statuses)."""
    with session_scope(readonly=True) as db:
        return JSONResponse(seat_map.encode_venue(db, venues.get_venue(db=db, user_id=user_id, venue_id=venue_id)))


@router.put("/venues/{venue_id}/layout", response_model=VenueOut)
def replace_layout(venue_id: uuid.UUID, body: VenueIn, user_id: uuid.UUID = Depends(current_user_id)) -> VenueOut:
    plan = venues.layout_from_request(generate=body.generate, layout=body.layout)
    with session_scope() as db:
        return venue_out(venues.replace_layout(db=db, user_id=user_id, venue_id=venue_id, layout=plan))


@router.delete("/venues/{venue_id}", status_code=204, response_class=Response)
def delete_venue(venue_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    with session_scope() as db:
        venues.delete_venue(db=db, user_id=user_id, venue_id=venue_id)
    return Response(status_code=204)


@router.post("/events/{event_id}/price-levels", status_code=201, response_model=PriceLevelOut)
def create_price_level(event_id: uuid.UUID, body: PriceLevelIn,
                       user_id: uuid.UUID = Depends(current_user_id)) -> PriceLevelOut:
    with session_scope() as db:
        return price_level_out(seating.create_price_level(db=db, user_id=user_id, event_id=event_id,
                                                          **body.model_dump()))


@router.get("/events/{event_id}/price-levels", response_model=list[PriceLevelOut])
def list_price_levels(event_id: uuid.UUID,
                      user_id: uuid.UUID | None = Depends(optional_user_id)) -> list[PriceLevelOut]:
    with session_scope(readonly=True) as db:
        visible_event(db=db, event_id=event_id, user_id=user_id)
        return [price_level_out(lv) for lv in seating.list_price_levels(db, event_id)]


@router.post(MAP + "/seating", status_code=201, response_model=SeatingOut)
def seat_session(event_id: uuid.UUID, session_id: uuid.UUID, body: SeatingIn,
                 user_id: uuid.UUID = Depends(current_user_id)) -> SeatingOut:
    """Sell the session seat by seat in a venue of the organization."""
    with session_scope() as db:
        seated = seating.seat_session(
            db=db, user_id=user_id, event_id=event_id, session_id=session_id, venue_id=body.venue_id,
            default_level_id=body.default_price_level_id, section_levels=body.section_price_levels, now=utcnow(),
        )
        capacity = db.get(EventSession, session_id).capacity
        return SeatingOut(session_id=seated.session_id, venue_id=seated.venue_id, seats=capacity, capacity=capacity)


@router.get(MAP + "/seatmap")
def get_layout(event_id: uuid.UUID, session_id: uuid.UUID, request: Request,
               user_id: uuid.UUID | None = Depends(optional_user_id)) -> Response:
    """The map's compact layout (see seat_map.encode_layout), gzipped when the client accepts it;
    304 while the client's copy is current."""
    with session_scope(readonly=True) as db:
        visible_event(db=db, event_id=event_id, user_id=user_id)
        seated = seat_map.seated_session(db, event_id=event_id, session_id=session_id)
        etag = f'"{seated.session_id}-{seated.layout_version}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        plain, packed = seat_map.layout_bytes(db, seated)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
    return Response(plain, media_type="application/json", headers=headers)


@router.get(MAP + "/seats/status", response_model=StatusOut)
def get_status(event_id: uuid.UUID, session_id: uuid.UUID,
               user_id: uuid.UUID | None = Depends(optional_user_id),
               access_code: str | None = Query(default=None, max_length=64)) -> StatusOut:
    """Every seat's status code at the event's current version (what live deltas build on).
    Seats of a presale's block show as blocked unless `access_code` opens them (422
    `access_code_invalid`, 409 `access_code_used_up` for a code that opens nothing now)."""
    with session_scope(readonly=True) as db:
        visible_event(db=db, event_id=event_id, user_id=user_id)
        seated = seat_map.seated_session(db, event_id=event_id, session_id=session_id)
        now = utcnow()
        closed = locked_idxs(db, event_id=event_id, session_id=session_id, access_code=access_code, now=now)
        return StatusOut(**seat_map.close_seats(seat_map.status_snapshot(db, seated=seated, now=now), closed))


@router.get(MAP + "/seats", response_model=list[SeatOut])
def describe_seats(event_id: uuid.UUID, session_id: uuid.UUID,
                   idx: Annotated[list[int], Query(max_length=500)],
                   user_id: uuid.UUID | None = Depends(optional_user_id)) -> list[SeatOut]:
    """Seats by map index (`?idx=3&idx=4`): ids to hold, labels, prices and status now."""
    with session_scope(readonly=True) as db:
        visible_event(db=db, event_id=event_id, user_id=user_id)
        seat_map.seated_session(db, event_id=event_id, session_id=session_id)
        return [SeatOut(**s) for s in seat_map.describe_seats(db=db, event_id=event_id, session_id=session_id,
                                                              idxs=idx, now=utcnow())]


@router.post(MAP + "/seats/best", response_model=BestOut)
def best_available(event_id: uuid.UUID, session_id: uuid.UUID, body: BestIn,
                   user_id: uuid.UUID | None = Depends(optional_user_id)) -> BestOut:
    """The best available seats now (a suggestion: hold them with POST /events/{id}/holds)."""
    with session_scope(readonly=True) as db:
        now = utcnow()
        pick = seat_sales.find_best(db=db, event_id=event_id, session_id=session_id, user_id=user_id,
                                    count=body.count, now=now, level_ids=body.price_level_ids or (),
                                    section=body.section, mode=body.mode, wheelchair=body.wheelchair,
                                    access_code=body.access_code)
        seats = seat_map.describe_seats(db=db, event_id=event_id, session_id=session_id, idxs=pick.idxs, now=now)
        return BestOut(step=pick.step, seats=[SeatOut(**s) for s in seats])


@router.post(MAP + "/seats/actions", response_model=SeatActionOut)
def seat_action(event_id: uuid.UUID, session_id: uuid.UUID, body: SeatActionIn,
                user_id: uuid.UUID = Depends(current_user_id)) -> SeatActionOut:
    """Organizer bulk action on seats by map index: hold, block, release, own, disown, return, price."""
    with session_scope() as db:
        changed = seating.manage_seats(
            db=db, user_id=user_id, event_id=event_id, session_id=session_id, action=body.action,
            seat_idxs=body.seats, reason=body.reason, note=body.note, price_level_id=body.price_level_id,
            now=utcnow(),
        )
        return SeatActionOut(changed=changed)


@router.get(MAP + "/seats/{idx}", response_model=SeatDetailOut)
def seat_detail(event_id: uuid.UUID, session_id: uuid.UUID, idx: int,
                user_id: uuid.UUID = Depends(current_user_id)) -> SeatDetailOut:
    """Staff: one seat with its status, ownership and who has it."""
    if idx < 0:
        raise invalid("invalid_selection", "Seat indexes start at 0.")
    with session_scope(readonly=True) as db:
        event_for_role(db, event_id=event_id, user_id=user_id, roles=seat_map.STAFF_ROLES)
        return SeatDetailOut(**seat_map.seat_detail(db=db, user_id=user_id, event_id=event_id, session_id=session_id,
                                                    idx=idx, now=utcnow()))
