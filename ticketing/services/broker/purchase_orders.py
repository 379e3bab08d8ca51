"""Purchase orders: drafting one (explicit seats of a seated session, or quantities of a general-
admission ticket type, each at a unit cost), changing a draft under optimistic locking, reading.

Confirming, receiving, returning and cancelling change inventory and live in inventory.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from ticketing.models import (
    Event,
    EventSeat,
    FulfillmentMethod,
    PurchaseOrder,
    PurchaseOrderCounter,
    PurchaseOrderLine,
    PurchaseOrderSeat,
    PurchaseOrderStatus,
    Supplier,
    TicketType,
)
from ticketing.services.broker.flags import is_broker_event, seated_ticket_type_ids
from ticketing.services.accounts.organizations import row_for_role
from ticketing.services.broker.suppliers import require_manager
from ticketing.services.catalog.catalog_common import UNSET
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.money import MoneyError, normalize_currency, parse_amount

MAX_LINES = 200
MAX_SEATS = 25_000
MAX_QUANTITY = 100_000
METHODS = tuple(m.value for m in FulfillmentMethod)


@dataclass(frozen=True)
class LineIn:
    """One requested line: `seat_ids` (event seats of one session) or `ticket_type_id` + `quantity`."""

    unit_cost: str
    seat_ids: Sequence[uuid.UUID] | None = None
    ticket_type_id: uuid.UUID | None = None
    quantity: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class LineView:
    line: PurchaseOrderLine
    seat_ids: list[uuid.UUID]


@dataclass(frozen=True)
class PurchaseOrderView:
    order: PurchaseOrder
    lines: list[LineView]
    supplier_name: str
    event_title: str

    @property
    def payment_status(self) -> str:
        return payment_status(self.order)


def payment_status(po: PurchaseOrder) -> str:
    """unpaid / partial / paid, against what is owed (the cost of what was not returned)."""
    owed = po.total_cost_minor - po.returned_cost_minor
    if po.paid_minor <= 0:
        return "paid" if owed <= 0 and po.status != PurchaseOrderStatus.draft.value else "unpaid"
    return "paid" if po.paid_minor >= owed else "partial"


def order_for_manager(db: Session, *, user_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    return row_for_role(db, PurchaseOrder, po_id, user_id=user_id, what="purchase order")


def check_version(po: PurchaseOrder, version: int | None) -> None:
    """409 version_conflict when the caller edited an older version than the stored one."""
    if version is not None and version != po.version:
        raise ServiceError("version_conflict", f"Purchase order {po.number} was changed meanwhile (now version "
                           f"{po.version}); reload it and try again.", current_version=po.version)


def next_number(db: Session, organization_id: uuid.UUID) -> str:
    """PO-0001, PO-0002, ... per organization: one atomic upsert whose row lock serializes
    concurrent creations until commit."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(PurchaseOrderCounter).values(organization_id=organization_id, last=1)
            .on_conflict_do_update(index_elements=["organization_id"], set_={"last": PurchaseOrderCounter.last + 1})
            .returning(PurchaseOrderCounter.last))
    return f"PO-{db.exec(stmt).scalar_one():04d}"


def _currency(value: Any) -> str:
    try:
        return normalize_currency(value)
    except (MoneyError, AttributeError) as exc:
        raise invalid("invalid_currency", "Give an ISO 4217 currency code such as EUR.", field="currency") from exc


def _event_currency(db: Session, event: Event) -> str | None:
    return db.exec(select(TicketType.currency).where(TicketType.event_id == event.id)).first()


def _clean_header(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    method = fields.get("fulfillment_method", UNSET)
    if method is not UNSET:
        if method not in METHODS:
            raise invalid("invalid_fulfillment_method", f"fulfillment_method is one of {', '.join(METHODS)}.",
                          field="fulfillment_method")
        out["fulfillment_method"] = method
    for key, limit in (("fulfillment_notes", 2000), ("notes", 2000), ("reference", 120)):
        value = fields.get(key, UNSET)
        if value is not UNSET:
            if not isinstance(value, str) or len(value.strip()) > limit:
                raise invalid(f"invalid_{key}", f"{key} is text of at most {limit} characters.", field=key)
            out[key] = value.strip()
    expected = fields.get("expected_date", UNSET)
    if expected is not UNSET:
        if expected is not None and not isinstance(expected, date):
            raise invalid("invalid_expected_date", "expected_date is a date (YYYY-MM-DD).", field="expected_date")
        out["expected_date"] = expected
    return out


def _clean_lines(db: Session, *, event: Event, currency: str, lines: Sequence[LineIn]) -> list[tuple[dict, list]]:
    """Validated line rows (without purchase order id) with their seat ids."""
    if not lines or len(lines) > MAX_LINES:
        raise invalid("invalid_lines", f"Give between 1 and {MAX_LINES} lines.", field="lines")
    seated_types = seated_ticket_type_ids(db, event.id)
    out: list[tuple[dict, list]] = []
    seen_seats: set[uuid.UUID] = set()
    for i, line in enumerate(lines):
        try:
            cost = parse_amount(line.unit_cost, currency)
        except MoneyError as exc:
            raise invalid("invalid_unit_cost", f"Line {i + 1}: {exc}", field="unit_cost", line=i) from exc
        notes = (line.notes or "").strip()
        if len(notes) > 500:
            raise invalid("invalid_notes", f"Line {i + 1}: keep notes under 500 characters.", line=i)
        if (line.seat_ids is None) == (line.ticket_type_id is None):
            raise invalid("invalid_line", f"Line {i + 1}: give either seat_ids, or ticket_type_id and quantity.",
                          line=i)
        if line.seat_ids is not None:
            ids = list(dict.fromkeys(line.seat_ids))
            if not ids or len(seen_seats) + len(ids) > MAX_SEATS:
                raise invalid("invalid_selection", f"Line {i + 1}: select between 1 and {MAX_SEATS:,} seats.", line=i)
            if seen_seats & set(ids) or len(ids) != len(line.seat_ids):
                raise invalid("duplicate_seat", f"Line {i + 1}: a seat is listed twice in this order.", line=i)
            seen_seats.update(ids)
            rows = db.exec(select(EventSeat.session_id).where(EventSeat.id.in_(ids), EventSeat.event_id == event.id)
                           ).all()
            if len(rows) != len(ids):
                raise invalid("unknown_seat", f"Line {i + 1}: some seats are not seats of this event.", line=i)
            if len(set(rows)) != 1:
                raise invalid("seats_of_several_sessions", f"Line {i + 1}: one line holds the seats of one "
                              "performance; make one line per performance.", line=i)
            out.append(({"session_id": rows[0], "ticket_type_id": None, "quantity": len(ids),
                         "unit_cost_minor": cost, "notes": notes}, ids))
        else:
            ticket_type = db.get(TicketType, line.ticket_type_id)
            if ticket_type is None or ticket_type.event_id != event.id:
                raise not_found("ticket type")
            if ticket_type.id in seated_types:
                raise invalid("seated_ticket_type", f"Line {i + 1}: {ticket_type.name!r} is sold seat by seat; "
                              "buy its seats with seat_ids.", line=i)
            qty = line.quantity
            if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
                raise invalid("invalid_quantity", f"Line {i + 1}: quantity is between 1 and {MAX_QUANTITY:,}.",
                              line=i)
            out.append(({"session_id": None, "ticket_type_id": ticket_type.id, "quantity": qty,
                         "unit_cost_minor": cost, "notes": notes}, []))
    return out


def _write_lines(db: Session, po: PurchaseOrder, lines: list[tuple[dict, list]]) -> None:
    db.exec(sql_delete(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po.id))
    total = 0
    for position, (values, seat_ids) in enumerate(lines):
        line = PurchaseOrderLine(purchase_order_id=po.id, position=position, **values)
        db.add(line)
        db.flush()
        db.add_all(PurchaseOrderSeat(line_id=line.id, event_seat_id=sid) for sid in seat_ids)
        total += values["quantity"] * values["unit_cost_minor"]
    po.total_cost_minor = total
    db.flush()


def create_purchase_order(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, supplier_id: uuid.UUID,
                          event_id: uuid.UUID, currency: str, lines: Sequence[LineIn], now: datetime,
                          **header: Any) -> PurchaseOrder:
    """A draft purchase order (owner/organizer) with its lines and total cost.

    404 for a supplier or event of another organization; 409 supplier_inactive, not_broker_event;
    422 invalid_currency, currency_mismatch, invalid_lines, invalid_line, invalid_unit_cost,
    unknown_seat, duplicate_seat, seats_of_several_sessions, seated_ticket_type, invalid_quantity.
    """
    require_manager(db, user_id=user_id, organization_id=organization_id)
    supplier = db.get(Supplier, supplier_id)
    if supplier is None or supplier.organization_id != organization_id:
        raise not_found("supplier")
    event = db.get(Event, event_id)
    if event is None or event.organization_id != organization_id:
        raise not_found("event")
    if not supplier.is_active:
        raise ServiceError("supplier_inactive", f"{supplier.name} is deactivated.")
    if not is_broker_event(db, event.id):
        raise ServiceError("not_broker_event", "Put the event in broker mode before buying inventory for it.")
    currency = _currency(currency)
    sells_in = _event_currency(db, event)
    if sells_in is not None and sells_in != currency:
        raise invalid("currency_mismatch", f"This event sells in {sells_in}; buy in the same currency.",
                      field="currency")
    values = _clean_header(header)
    clean_lines = _clean_lines(db, event=event, currency=currency, lines=lines)
    po = PurchaseOrder(organization_id=organization_id, number=next_number(db, organization_id),
                       supplier_id=supplier.id, event_id=event.id, currency=currency,
                       payment_terms_days=supplier.payment_terms_days, created_by=user_id, submitted_by=user_id,
                       created_at=now, updated_at=now, submitted_at=now, **values)
    db.add(po)
    db.flush()
    _write_lines(db, po, clean_lines)
    return po


def update_purchase_order(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, version: int, now: datetime,
                          lines: Sequence[LineIn] | None = None, **header: Any) -> PurchaseOrder:
    """Change a draft (header fields, or all its lines at once) made on `version`; 409
    version_conflict when someone changed it meanwhile, not_draft once confirmed or cancelled
    (then only notes, reference, expected date and fulfillment may change)."""
    po = order_for_manager(db, user_id=user_id, po_id=po_id)
    db.refresh(po, with_for_update=True)
    check_version(po, version)
    values = _clean_header(header)
    if lines is not None:
        if po.status != PurchaseOrderStatus.draft.value:
            raise ServiceError("not_draft", f"Purchase order {po.number} is {po.status}; its lines are final.")
        event = db.get(Event, po.event_id)
        _write_lines(db, po, _clean_lines(db, event=event, currency=po.currency, lines=lines))
    elif po.status == PurchaseOrderStatus.cancelled.value:
        raise ServiceError("not_draft", f"Purchase order {po.number} is cancelled.")
    for key, value in values.items():
        setattr(po, key, value)
    touch(po, now)
    db.add(po)
    db.flush()
    return po


def touch(po: PurchaseOrder, now: datetime) -> None:
    """Every change bumps the version (what optimistic locking compares)."""
    po.version += 1
    po.updated_at = now


def lines_of(db: Session, po_id: uuid.UUID) -> list[LineView]:
    lines = list(db.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id)
                         .order_by(PurchaseOrderLine.position)).all())
    seats: dict[uuid.UUID, list[uuid.UUID]] = {line.id: [] for line in lines}
    if lines:
        for line_id, seat_id in db.exec(select(PurchaseOrderSeat.line_id, PurchaseOrderSeat.event_seat_id)
                                        .where(PurchaseOrderSeat.line_id.in_(list(seats)))).all():
            seats[line_id].append(seat_id)
    return [LineView(line=line, seat_ids=sorted(seats[line.id])) for line in lines]


def view(db: Session, po: PurchaseOrder) -> PurchaseOrderView:
    supplier = db.get(Supplier, po.supplier_id)
    event = db.get(Event, po.event_id)
    return PurchaseOrderView(order=po, lines=lines_of(db, po.id), supplier_name=supplier.name,
                             event_title=event.title)


def get_purchase_order(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrderView:
    return view(db, order_for_manager(db, user_id=user_id, po_id=po_id))


def list_purchase_orders(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID,
                         event_id: uuid.UUID | None = None, supplier_id: uuid.UUID | None = None,
                         status: str | None = None) -> list[PurchaseOrderView]:
    require_manager(db, user_id=user_id, organization_id=organization_id)
    stmt = select(PurchaseOrder).where(PurchaseOrder.organization_id == organization_id)
    if event_id is not None:
        stmt = stmt.where(PurchaseOrder.event_id == event_id)
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    if status is not None:
        stmt = stmt.where(PurchaseOrder.status == status)
    return [view(db, po) for po in db.exec(stmt.order_by(PurchaseOrder.created_at.desc(),
                                                         PurchaseOrder.number.desc())).all()]
