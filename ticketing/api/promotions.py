"""/events/{event_id}/promo-codes: an event's promo codes (owner/organizer), and the check of
a code against a basket (any signed-in user). Thin: parse, call a service, convert."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, PlainSerializer

from ticketing.api.catalog_schemas import IdIn, PatchBody, TimeIn
from ticketing.api.deps import current_user_id
from ticketing.api.problems import problem_responses
from ticketing.api.schemas import Strict
from ticketing.db import session_scope
from ticketing.models import PromoCode, PromoKind
from ticketing.models.base import utcnow
from ticketing.services import money
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.promotions import codes, redemptions
from ticketing.services.promotions.codes import CodeTerms, CodeView

router = APIRouter(prefix="/events/{event_id}/promo-codes", tags=["promo codes"])
Time = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]


_MANAGE = dict(s401="not_authenticated, invalid_token", s403="forbidden (a door role)",
               s404="not_found (unknown event, or another organization's)")


class PromoCodeIn(Strict):
    code: str = Field(max_length=64)
    kind: str = Field(description="percent | fixed | free | buy_x_get_y")
    value: str | int | None = Field(default=None, description='percent: whole number 1-100; fixed: amount "5.00"')
    buy: int | None = None
    get: int | None = None
    ticket_type_ids: list[IdIn] | None = Field(default=None, max_length=200)
    price_level_ids: list[IdIn] | None = Field(default=None, max_length=200)
    starts_at: TimeIn | None = None
    ends_at: TimeIn | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    min_tickets: int = 1
    is_active: bool = True


class BulkIn(PromoCodeIn):
    code: str = Field(default="", max_length=0)  # generated: PREFIX-XXXXXXXX
    prefix: str = Field(max_length=20)
    count: int


class PromoCodePatch(PatchBody):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"max_uses", "max_uses_per_customer", "starts_at", "ends_at"})

    is_active: bool | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    min_tickets: int | None = None
    starts_at: TimeIn | None = None
    ends_at: TimeIn | None = None


class ValidateItemIn(Strict):
    ticket_type_id: IdIn
    quantity: int


class ValidateIn(Strict):
    code: str = Field(max_length=64)
    items: list[ValidateItemIn] = Field(min_length=1, max_length=50)


class PromoCodeOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    code: str
    kind: str
    value: str | None  # "20" (percent), "5.00" (fixed), null
    buy: int | None
    get: int | None
    description: str
    ticket_type_ids: list[uuid.UUID] | None
    price_level_ids: list[uuid.UUID] | None
    starts_at: Time | None
    ends_at: Time | None
    is_active: bool
    max_uses: int | None
    max_uses_per_customer: int | None
    min_tickets: int
    batch: str | None
    uses: int  # counting now: live holds, unpaid orders within their deadline, paid orders
    orders: int  # paid orders
    discount_given: str
    revenue: str
    currency: str


class BulkOut(BaseModel):
    batch: str
    codes: list[PromoCodeOut]


class ValidateLineOut(BaseModel):
    ticket_type_id: uuid.UUID
    quantity: int
    unit_price: str
    discount: str


class ValidateOut(BaseModel):
    code: str
    description: str
    discount: str
    total: str  # after the discount, at today's prices
    currency: str
    items: list[ValidateLineOut]


def _value(code: PromoCode) -> str | None:
    if code.kind == PromoKind.percent.value:
        return str(code.value)
    if code.kind == PromoKind.fixed.value:
        return money.format_minor(code.value, code.currency)
    return None


def _out(view: CodeView) -> PromoCodeOut:
    c, cur = view.code, view.currency
    return PromoCodeOut(
        id=c.id, event_id=c.event_id, code=c.code, kind=c.kind, value=_value(c), buy=c.buy_quantity,
        get=c.get_quantity, description=codes.describe(c, cur),
        ticket_type_ids=[uuid.UUID(t) for t in c.ticket_type_ids] if c.ticket_type_ids else None,
        price_level_ids=[uuid.UUID(p) for p in c.price_level_ids] if c.price_level_ids else None,
        starts_at=c.starts_at, ends_at=c.ends_at, is_active=c.is_active, max_uses=c.max_uses,
        max_uses_per_customer=c.max_uses_per_customer, min_tickets=c.min_tickets, batch=c.batch, uses=view.uses,
        orders=view.orders, discount_given=money.format_minor(view.discount_minor, cur) if cur else "0",
        revenue=money.format_minor(view.revenue_minor, cur) if cur else "0", currency=cur,
    )


def _terms(db, user_id: uuid.UUID, event_id: uuid.UUID, body: PromoCodeIn) -> CodeTerms:
    event_for_role(db, event_id=event_id, user_id=user_id)  # a stranger learns nothing from a 422
    value = codes.parse_value(body.kind, body.value, codes.event_currency(db, event_id))
    return CodeTerms(code=body.code, kind=body.kind, value=value, buy_quantity=body.buy, get_quantity=body.get,
                     ticket_type_ids=body.ticket_type_ids, price_level_ids=body.price_level_ids,
                     starts_at=body.starts_at, ends_at=body.ends_at, max_uses=body.max_uses,
                     max_uses_per_customer=body.max_uses_per_customer, min_tickets=body.min_tickets,
                     is_active=body.is_active)


def _view(db, user_id: uuid.UUID, event_id: uuid.UUID, code_id: uuid.UUID) -> CodeView:
    return next(v for v in codes.list_codes(db=db, user_id=user_id, event_id=event_id, now=utcnow())
                if v.code.id == code_id)


@router.post("", status_code=201, response_model=PromoCodeOut,
             responses=problem_responses(**_MANAGE, s409="duplicate_code (case-insensitive)",
                                 s422="invalid_discount, invalid_times, invalid_input, unknown_field"))
def create_promo_code(event_id: uuid.UUID, body: PromoCodeIn,
                      user_id: uuid.UUID = Depends(current_user_id)) -> PromoCodeOut:
    """A new code; `kind` percent (value 1-100), fixed (value an amount off each ticket), free,
    buy_x_get_y (buy, get). Scope: ticket_type_ids and/or price_level_ids (none: every type)."""
    with session_scope() as db:
        code = codes.create_code(db=db, user_id=user_id, event_id=event_id, terms=_terms(db, user_id, event_id, body),
                                 now=utcnow())
        return _out(_view(db, user_id, event_id, code.id))


@router.get("", response_model=list[PromoCodeOut], responses=problem_responses(**_MANAGE))
def list_promo_codes(event_id: uuid.UUID, batch: str | None = Query(default=None, max_length=40),
                     user_id: uuid.UUID = Depends(current_user_id)) -> list[PromoCodeOut]:
    """The event's codes, newest first, with uses, discount given and revenue (paid orders)."""
    with session_scope(readonly=True) as db:
        return [_out(v) for v in codes.list_codes(db=db, user_id=user_id, event_id=event_id, now=utcnow(),
                                                   batch=batch)]


@router.get("/export.csv", response_class=Response, responses=problem_responses(**_MANAGE))
def export_promo_codes(event_id: uuid.UUID, batch: str | None = Query(default=None, max_length=40),
                       user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """The codes (of one bulk batch with `batch`) and their figures as CSV."""
    with session_scope(readonly=True) as db:
        text = codes.codes_csv(codes.list_codes(db=db, user_id=user_id, event_id=event_id, now=utcnow(),
                                                batch=batch))
    # Only safe characters in the header: a batch name is the caller's text (a non-Latin-1 one
    # made the header unencodable, a quote could end the filename).
    name = "promo-codes-" + (re.sub(r"[^A-Za-z0-9._-]+", "-", batch) if batch else str(event_id)) + ".csv"
    return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/bulk", status_code=201, response_model=BulkOut,
             responses=problem_responses(**_MANAGE, s422="invalid_discount, invalid_times, invalid_input"))
def bulk_promo_codes(event_id: uuid.UUID, body: BulkIn, user_id: uuid.UUID = Depends(current_user_id)) -> BulkOut:
    """`count` (1-1000) single-use codes PREFIX-XXXXXXXX with the same terms, in one batch."""
    with session_scope() as db:
        made = codes.bulk_create(db=db, user_id=user_id, event_id=event_id, prefix=body.prefix, count=body.count,
                                 terms=_terms(db, user_id, event_id, body), now=utcnow())
        currency = codes.event_currency(db, event_id)
        return BulkOut(batch=made[0].batch, codes=[_out(CodeView(code=c, uses=0, orders=0, discount_minor=0,
                                                                 revenue_minor=0, currency=currency)) for c in made])


@router.patch("/{code_id}", response_model=PromoCodeOut,
              responses=problem_responses(**_MANAGE, s422="invalid_times, invalid_input"))
def update_promo_code(event_id: uuid.UUID, code_id: uuid.UUID, body: PromoCodePatch,
                      user_id: uuid.UUID = Depends(current_user_id)) -> PromoCodeOut:
    """Pause (`is_active`: false) or resume a code; change its limits or window."""
    with session_scope() as db:
        codes.update_code(db=db, user_id=user_id, event_id=event_id, code_id=code_id, changes=body.changes(),
                          now=utcnow())
        return _out(_view(db, user_id, event_id, code_id))


@router.post("/validate", response_model=ValidateOut,
             responses=problem_responses(s401="not_authenticated, invalid_token", s404="not_found (ticket type)",
                                 s409="code_used_up", s422="code_invalid, code_expired, code_not_applicable, "
                                 "invalid_quantity"))
def validate_promo_code(event_id: uuid.UUID, body: ValidateIn,
                        user_id: uuid.UUID = Depends(current_user_id)) -> ValidateOut:
    """What the code does to these tickets at today's prices; takes no use (a hold may still
    find it used up)."""
    with session_scope(readonly=True) as db:
        quote, lines, currency = redemptions.validate_code(
            db=db, event_id=event_id, user_id=user_id, code=body.code,
            items=[(i.ticket_type_id, i.quantity) for i in body.items], now=utcnow())
    subtotal = sum(x.unit_price_minor * x.quantity for x in lines)
    return ValidateOut(
        code=quote.code.code, description=codes.describe(quote.code, currency),
        discount=money.format_minor(quote.discount_minor, currency),
        total=money.format_minor(subtotal - quote.discount_minor, currency), currency=currency,
        items=[ValidateLineOut(ticket_type_id=x.ticket_type_id, quantity=x.quantity,
                               unit_price=money.format_minor(x.unit_price_minor, currency),
                               discount=money.format_minor(quote.discounts[x.ticket_type_id], currency))
               for x in lines])
