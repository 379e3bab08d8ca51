"""Availability and buying: /events/{id}/availability, holds, checkout, orders, cancel, transfer.

Thin: parse, call one service in one transaction, convert. Hold creation and checkout honour an
`Idempotency-Key` header: the first successful response is stored with the work and replayed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from ticketing.api.deps import current_user_id, token_claims
from ticketing.api.problems import problem_responses
from ticketing.api.sales_schemas import (
    AvailabilityOut,
    CancelIn,
    CancellationOut,
    CheckoutIn,
    CheckoutOut,
    HoldIn,
    HoldOut,
    OrderOut,
    TicketOut,
    TransferIn,
    availability_out,
    fmt,
    hold_out,
    orders_out,
    ticket_with_sessions,
)
from ticketing.db import session_scope
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.payments import intents, refunds
from ticketing.services.accounts import accounts
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, idempotency, orders, ticket_file, ticket_holders
from ticketing.services.sales.availability import event_availability, visible_event
from ticketing.services.waiting_room import rooms

router = APIRouter(tags=["buying"])
IDEMPOTENCY_RETRIES = 3


def optional_user_id(authorization: str | None = Header(default=None)) -> uuid.UUID | None:
    """The caller when a token is sent (a bad token is still 401); None for the public."""
    return None if authorization is None else current_user_id(authorization)


def run_idempotent(
    *, user_id: uuid.UUID, scope: str, key: str | None, request: Any, status_code: int,
    work: Callable[[Session], dict[str, Any]], after: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> JSONResponse:
    """Run `work` in one transaction; with a key, store its response there and replay it later.

    `after` completes the body once committed, on the first response and on replays alike
    (e.g. the payment of an order, which needs Stripe and never runs inside the transaction).
    """
    after = after or (lambda body: body)
    if key is None:
        with session_scope() as db:
            body = work(db)
        return JSONResponse(after(body), status_code=status_code)
    fingerprint = idempotency.request_fingerprint(request)
    for _ in range(IDEMPOTENCY_RETRIES):
        try:
            with session_scope() as db:
                stored, record = idempotency.begin(
                    db=db, user_id=user_id, scope=scope, key=key, request_hash=fingerprint, now=utcnow()
                )
                if stored is not None:
                    body = after(stored.body) if 200 <= stored.status_code < 300 else stored.body
                    replay = JSONResponse(body, status_code=stored.status_code)
                    replay.headers["Idempotent-Replayed"] = "true"
                    return replay
                body = work(db)
                idempotency.finish(db=db, record=record, status_code=status_code, body=body)
            return JSONResponse(after(body), status_code=status_code)
        except idempotency.IdempotencyRace:
            continue  # a concurrent request with this key committed first: replay it
    raise ServiceError("busy", "The system is busy right now; please try again.")


@router.get("/events/{event_id}/availability", response_model=AvailabilityOut)
def get_availability(
    event_id: uuid.UUID, user_id: uuid.UUID | None = Depends(optional_user_id),
    access_code: str | None = Query(default=None, max_length=64),
) -> AvailabilityOut:
    """Places per session and units per ticket type now (public once published; drafts for staff).

    A ticket type reserved to a presale says `reason: "presale_only"`; with `access_code`, the
    types its presale opens are shown as they can be bought with it (422 `access_code_invalid`:
    unknown, another event's, outside its presale's window; 409 `access_code_used_up`)."""
    with session_scope(readonly=True) as db:
        visible_event(db=db, event_id=event_id, user_id=user_id)
        return availability_out(event_availability(db=db, event_id=event_id, now=utcnow(),
                                                   access_code=access_code))


@router.post("/events/{event_id}/holds", status_code=201, response_model=HoldOut,
             responses=problem_responses(
                 s403="admission_required, admission_invalid, admission_wrong_event, admission_expired",
                 s409="code_used_up, access_code_used_up, insufficient_capacity, quota_reached, active_hold_exists",
                 s422="code_invalid, code_expired, code_not_applicable, access_code_required, access_code_invalid, "
                      "invalid_quantity, not_on_sale"))
def create_hold(
    event_id: uuid.UUID,
    body: HoldIn,
    caller: tuple[uuid.UUID, int] = Depends(token_claims),
    idempotency_key: str | None = Header(default=None),
    admission_token: str | None = Header(default=None),
) -> JSONResponse:
    """Hold places for every item, all or nothing, until `expires_at`.

    While the event's waiting room is on, the `Admission-Token` header must carry this account's
    admission to this event (GET /events/{id}/waiting-room/me once let in): 403
    `admission_required` (none), `admission_invalid` (forged, or another account's),
    `admission_wrong_event`, `admission_expired`.

    With `promo_code`, its discount is locked with the prices (per line and in `total`) and one
    of its uses taken: 422 `code_invalid` (unknown, paused, another event's), `code_expired`
    (outside its window), `code_not_applicable` (no line in scope, below its minimum); 409
    `code_used_up` (no use left in all or for this customer).

    A presale's block (its ticket types or seats) needs one of its access codes (`access_code`)
    during the presale: 422 `access_code_required` (none, or another presale's),
    `access_code_invalid` (unknown, another event's, outside its window); 409
    `access_code_used_up`, `quota_reached` (the presale's quota).
    While customers wait for a ticket type on its waiting list, freed places are offered to
    them first: anyone else gets 409 `insufficient_capacity` with `reason: "waiting_list"`."""
    user_id, token_version = caller
    items = [(i.ticket_type_id, i.quantity) for i in body.items]
    # An API client may hold without reading anything first: its arrival is counted here (a
    # page's "Reserve tickets" was counted at the page's load: once per account).
    rooms.count_arrival(event_id=event_id, now=utcnow(), user_id=user_id)
    rooms.require_admission(event_id=event_id, user_id=user_id, token=admission_token, now=utcnow())
    if idempotency_key is None:  # nothing else to write with it: a transaction of its own
        now = utcnow()
        # The token's version is checked in the hold's own statement: no read of its own.
        hold, lines = holds.place_hold(event_id=event_id, user_id=user_id, now=now, items=items,
                                       seat_ids=body.seat_ids or (), token_version=token_version,
                                       promo_code=body.promo_code, access_code=body.access_code)
        return JSONResponse(hold_out(hold, lines, now).model_dump(mode="json"), status_code=201)
    accounts.check_token_version(user_id, token_version)

    def work(db: Session) -> dict[str, Any]:
        now = utcnow()
        hold = holds.hold_tickets(db=db, event_id=event_id, user_id=user_id, now=now, items=items,
                                  seat_ids=body.seat_ids or (), promo_code=body.promo_code,
                                  access_code=body.access_code)
        return hold_out(hold, holds.hold_items(db=db, hold_id=hold.id), now).model_dump(mode="json")

    return run_idempotent(user_id=user_id, scope=f"hold:{event_id}", key=idempotency_key,
                          request=body.model_dump(mode="json"), status_code=201, work=work)


@router.get("/holds/{hold_id}", response_model=HoldOut)
def get_hold(hold_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> HoldOut:
    with session_scope(readonly=True) as db:
        hold = holds.get_hold(db=db, hold_id=hold_id, user_id=user_id)
        return hold_out(hold, holds.hold_items(db=db, hold_id=hold.id), utcnow())


@router.delete("/holds/{hold_id}", status_code=204, response_class=Response)
def delete_hold(hold_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """Release the hold's places at once (204 also when already released)."""
    with session_scope() as db:
        holds.release_hold(db=db, hold_id=hold_id, user_id=user_id, now=utcnow())
    return Response(status_code=204)


@router.post("/holds/{hold_id}/checkout", status_code=201, response_model=CheckoutOut)
def checkout(
    hold_id: uuid.UUID,
    body: CheckoutIn | None = None,
    user_id: uuid.UUID = Depends(current_user_id),
    idempotency_key: str | None = Header(default=None),
) -> JSONResponse:
    """Turn the hold into an order: `pending` until paid, or `confirmed` at once when free.

    A pending order comes with `payment: {provider: "stripe", client_secret}` of its
    PaymentIntent; Stripe's webhook confirms it. 503 `payment_unavailable` (with `order_id`)
    when Stripe cannot be reached: the order keeps its places; retry with the same key.
    """
    body = body or CheckoutIn()

    def work(db: Session) -> dict[str, Any]:
        now = utcnow()
        held_prices = {i.ticket_type_id: i.unit_price_minor for i in holds.hold_items(db=db, hold_id=hold_id)}
        attendees = [ticket_holders.Attendee(name=a.name, email=a.email) for a in body.attendees or []]
        order = orders.checkout(db=db, hold_id=hold_id, user_id=user_id, attendees=attendees or None, now=now)
        if order.status == "confirmed":  # free: no payment, so the tickets are mailed now (a job)
            enqueue(db, "order_confirmation", order_id=str(order.id))
        out = orders_out(db, [order], now)[0]
        changed = any(i.unit_price != fmt(held_prices[i.ticket_type_id], out.currency) for i in out.items)
        return CheckoutOut(**out.model_dump(), price_changed=changed).model_dump(mode="json")

    return run_idempotent(user_id=user_id, scope=f"checkout:{hold_id}", key=idempotency_key,
                          request=body.model_dump(mode="json"), status_code=201, work=work,
                          after=lambda out: with_payment(out, user_id))


def with_payment(out: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
    """The order body with its Stripe payment filled in while it awaits one."""
    if out.get("status") != "pending":
        return out
    order_id = uuid.UUID(out["id"])
    try:
        start = intents.ensure_payment_intent(order_id=order_id, user_id=user_id)
    except ServiceError as exc:
        if exc.code in ("order_confirmed", "order_expired", "order_cancelled"):
            with session_scope(readonly=True) as db:  # the order moved on meanwhile: show it as it is
                fresh = orders_out(db, [orders.get_order(db=db, order_id=order_id, user_id=user_id)], utcnow())[0]
            return {**out, **fresh.model_dump(mode="json", exclude={"payment"}), "payment": None}
        exc.extra.setdefault("order_id", str(order_id))
        raise
    return {**out, "payment": {"provider": "stripe", "client_secret": start.client_secret}}


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> JSONResponse:
    """The order; while it awaits payment, with the client secret to pay it with."""
    with session_scope(readonly=True) as db:
        out = orders_out(db, [orders.get_order(db=db, order_id=order_id, user_id=user_id)], utcnow())[0]
    return JSONResponse(with_payment(out.model_dump(mode="json"), user_id))


@router.get("/orders/{order_id}/tickets.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "One A4 page per valid ticket"}})
def order_tickets_pdf(order_id: uuid.UUID, ticket_id: uuid.UUID | None = None,
                      user_id: uuid.UUID = Depends(current_user_id)) -> Response:
    """The ticket file: the order's valid tickets (or the one `ticket_id`) as a PDF with each
    ticket's seat, sessions, holder, QR code and short code; for the buyer, or an owner or
    organizer of the event. Made on demand."""
    with session_scope(readonly=True) as db:
        file = ticket_file.order_tickets_pdf(db=db, order_id=order_id, user_id=user_id, now=utcnow(),
                                             ticket_id=ticket_id)
    return Response(file.data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{file.filename}"'})


@router.get("/me/orders", response_model=list[OrderOut])
def my_orders(user_id: uuid.UUID = Depends(current_user_id)) -> list[OrderOut]:
    """The caller's orders, newest first."""
    with session_scope(readonly=True) as db:
        return orders_out(db, orders.list_orders_for_user(db=db, user_id=user_id), utcnow())


@router.post("/orders/{order_id}/cancel", response_model=CancellationOut)
def cancel_order(
    order_id: uuid.UUID, body: CancelIn | None = None, user_id: uuid.UUID = Depends(current_user_id)
) -> CancellationOut:
    """Cancel the order, or only `ticket_ids`: the buyer under the event's policy; an owner or
    organizer of the event's organization at any time, with a full refund. The refund goes
    back through Stripe after commit."""
    body = body or CancelIn()
    with session_scope() as db:
        now = utcnow()
        by_organizer = not orders.is_buyer(db=db, order_id=order_id, user_id=user_id)
        done, _refund = refunds.cancel_order_with_refund(
            db=db, order_id=order_id, user_id=user_id, ticket_ids=body.ticket_ids, now=now, by_organizer=by_organizer
        )
        out = orders_out(db, [done.order], now)[0]
        return CancellationOut(
            **out.model_dump(), cancelled_ticket_ids=done.ticket_ids,
            refund=fmt(done.refund_minor, done.order.currency),
            cancellation_fee=fmt(done.fee_minor, done.order.currency),
        )


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketOut)
def transfer_ticket(ticket_id: uuid.UUID, body: TransferIn, user_id: uuid.UUID = Depends(current_user_id)) -> TicketOut:
    """Give the ticket to someone else: a new code is issued and the old one stops working."""
    with session_scope() as db:
        ticket = ticket_holders.transfer_ticket(db=db, ticket_id=ticket_id, user_id=user_id, name=body.name,
                                                email=body.email, now=utcnow())
        enqueue(db, "transferred_ticket", ticket_id=str(ticket_id), code_version=ticket.code_version)
        return ticket_with_sessions(db, ticket)
