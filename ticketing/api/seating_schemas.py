"""Request and response bodies of the venue and seat-map routes."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from ticketing.api.sales_schemas import IdIn
from ticketing.api.schemas import Strict
from ticketing.models import PriceLevel, Venue

# A layout document may be large (100,000 seats); the generator spec is small.
LayoutDoc = dict[str, Any]


class VenueIn(Strict):
    """Exactly one of a generator spec or an exported layout document."""

    generate: LayoutDoc | None = None
    layout: LayoutDoc | None = None


class StageOut(BaseModel):
    x: int
    y: int
    label: str


class VenueOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    seat_count: int
    stage: StageOut


def venue_out(v: Venue) -> VenueOut:
    return VenueOut(id=v.id, organization_id=v.organization_id, name=v.name, seat_count=v.seat_count,
                    stage=StageOut(x=v.stage_x, y=v.stage_y, label=v.stage_label))


class PriceLevelIn(Strict):
    name: str = Field(max_length=60)
    color: str = Field(max_length=7)
    ticket_type_id: IdIn
    sort_order: int = 0


class PriceLevelOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID
    name: str
    color: str
    sort_order: int


def price_level_out(lv: PriceLevel) -> PriceLevelOut:
    return PriceLevelOut(id=lv.id, event_id=lv.event_id, ticket_type_id=lv.ticket_type_id, name=lv.name,
                         color=lv.color, sort_order=lv.sort_order)


class SeatingIn(Strict):
    venue_id: IdIn
    default_price_level_id: IdIn
    section_price_levels: dict[str, IdIn] | None = None


class SeatingOut(BaseModel):
    session_id: uuid.UUID
    venue_id: uuid.UUID
    seats: int
    capacity: int


class StatusOut(BaseModel):
    session_id: uuid.UUID
    version: int
    statuses: str  # one digit per seat index: see seat_status codes


class SeatOut(BaseModel):
    idx: int
    id: uuid.UUID
    label: str
    section: str
    row: str
    number: str
    type: str
    level: str
    price: str
    currency: str
    ticket_type_id: uuid.UUID | None
    status: str
    sellable: bool


class BestIn(Strict):
    count: int
    price_level_ids: list[IdIn] | None = Field(default=None, max_length=50)
    section: str | None = Field(default=None, max_length=40)
    mode: str = "best"
    wheelchair: int = 0
    access_code: str | None = Field(default=None, max_length=64, description="a presale's: its seat block may be picked")


class BestOut(BaseModel):
    step: str
    seats: list[SeatOut]


class SeatActionIn(Strict):
    action: str
    seats: list[int] = Field(max_length=25_000)
    reason: str | None = None
    note: str = Field(default="", max_length=200)
    price_level_id: IdIn | None = None


class SeatActionOut(BaseModel):
    changed: int


class SeatDetailOut(BaseModel):
    idx: int
    id: uuid.UUID
    label: str
    type: str
    status: str
    ownership: str
    level: str
    reason: str
    note: str
    owner: str
    order: str
    expires_at: str
