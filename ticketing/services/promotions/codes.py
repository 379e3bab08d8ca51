"""The organizer's promo codes: create, change, pause, bulk single-use codes, and the figures
per code (uses, discount given, revenue), also as CSV. Owners and organizers of the event's
organization only."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.models import Event, Order, OrderStatus, PriceLevel, PromoCode, PromoKind, PromoRedemption, TicketType
from ticketing.models.base import new_id
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.money import MoneyError, format_minor, parse_amount
from ticketing.services.promotions.redemptions import CODE_RE, code_key
from ticketing.services.promotions.ticket_prices import ticket_prices
from ticketing.services.reporting.csv_cells import csv_text

MAX_BULK = 1000
MAX_LIMIT = 1_000_000
# No 0/O or 1/I/L: codes read out over the phone or copied from paper.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_KINDS = {k.value for k in PromoKind}


@dataclass(frozen=True)
class CodeTerms:
    """A code's definition as given (value: percent for `percent`, minor units for `fixed`)."""

    code: str
    kind: str
    value: int | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    ticket_type_ids: Sequence[uuid.UUID] | None = None
    price_level_ids: Sequence[uuid.UUID] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    min_tickets: int = 1
    is_active: bool = True


@dataclass(frozen=True)
class CodeView:
    code: PromoCode
    uses: int  # redemptions counting now (live holds, pending and paid orders)
    orders: int  # paid orders with the code
    discount_minor: int  # given on paid orders
    revenue_minor: int  # paid by those orders
    currency: str = ""
    scope_names: list[str] = field(default_factory=list)


def event_currency(db: Session, event_id: uuid.UUID) -> str:
    """The currency of the event's ticket types ("" while it has none)."""
    return db.exec(select(TicketType.currency).where(TicketType.event_id == event_id)
                   .order_by(TicketType.sort_order, TicketType.name)).first() or ""


def event_version(db: Session, event_id: uuid.UUID) -> int | None:
    """The event's live version (bumped by every sale and cancellation), for pages that follow
    the figures without being pushed them."""
    return db.exec(select(Event.version).where(Event.id == event_id)).first()


def parse_value(kind: str, text: str | int | None, currency: str) -> int | None:
    """The value of a code from a form or the API: a whole percent for `percent`, an amount in
    major units ("5.00") for `fixed`, nothing for the others. 422 `invalid_discount`."""
    if kind == PromoKind.percent.value:
        try:
            return int(str(text).strip())
        except ValueError:
            raise invalid("invalid_discount", "A percentage is a whole number from 1 to 100.", field="value") from None
    if kind == PromoKind.fixed.value:
        if not currency:
            raise invalid("invalid_discount", "Add a ticket type first: a fixed discount needs its currency.",
                          field="value")
        try:
            return parse_amount(str(text) if text is not None else "", currency)
        except MoneyError as exc:
            raise invalid("invalid_discount", str(exc), field="value") from None
    return None


def _limit(value: int | None, name: str, low: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_LIMIT:
        raise invalid("invalid_input", f"{name} must be a whole number from {low} to {MAX_LIMIT}.", field=name)
    return value


def _checked(db: Session, event: Event, terms: CodeTerms) -> dict[str, Any]:
    """The columns of a code from its terms; 422 `invalid_discount` / `invalid_input` /
    `invalid_times` for anything wrong, nothing written."""
    if not isinstance(terms.code, str) or not CODE_RE.fullmatch(terms.code.strip()):
        raise invalid("invalid_input", "A code is 1-40 letters, digits, '-' or '_'.", field="code")
    if terms.kind not in _KINDS:
        raise invalid("invalid_discount", f"kind must be one of {', '.join(sorted(_KINDS))}.", field="kind")
    value, buy, get = terms.value or 0, None, None
    if terms.kind == PromoKind.percent.value and not 1 <= value <= 100:
        raise invalid("invalid_discount", "A percentage is a whole number from 1 to 100.", field="value")
    if terms.kind == PromoKind.fixed.value and value <= 0:
        raise invalid("invalid_discount", "A fixed discount must be more than zero.", field="value")
    if terms.kind in (PromoKind.free.value, PromoKind.buy_x_get_y.value):
        value = 0
    if terms.kind == PromoKind.buy_x_get_y.value:
        buy, get = terms.buy_quantity, terms.get_quantity
        if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 100 for n in (buy, get)):
            raise invalid("invalid_discount", "Buy X get Y needs whole numbers from 1 to 100 for buy and get.",
                          field="buy")
    type_ids = sorted({uuid.UUID(str(t)) for t in terms.ticket_type_ids or []})
    if type_ids and len(db.exec(select(TicketType.id).where(TicketType.event_id == event.id,
                                                           TicketType.id.in_(type_ids))).all()) != len(type_ids):
        raise invalid("invalid_discount", "Only this event's ticket types can be in a code's scope.",
                      field="ticket_type_ids")
    level_ids = sorted({uuid.UUID(str(p)) for p in terms.price_level_ids or []})
    if level_ids and len(db.exec(select(PriceLevel.id).where(PriceLevel.event_id == event.id,
                                                            PriceLevel.id.in_(level_ids))).all()) != len(level_ids):
        raise invalid("invalid_discount", "Only this event's price levels can be in a code's scope.",
                      field="price_level_ids")
    for name in ("starts_at", "ends_at"):
        at = getattr(terms, name)
        if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
            raise invalid("invalid_times", f"{name} must be a date and time with a UTC offset.", field=name)
    if terms.starts_at is not None and terms.ends_at is not None and terms.starts_at >= terms.ends_at:
        raise invalid("invalid_times", "The code's window must end after it starts.", field="ends_at")
    return {
        "code": terms.code.strip(), "code_key": code_key(terms.code), "kind": terms.kind, "value": value,
        "currency": event_currency(db, event.id) if terms.kind == PromoKind.fixed.value else "",
        "buy_quantity": buy, "get_quantity": get,
        "ticket_type_ids": [str(t) for t in type_ids] or None, "price_level_ids": [str(p) for p in level_ids] or None,
        "starts_at": terms.starts_at, "ends_at": terms.ends_at,
        "max_uses": _limit(terms.max_uses, "max_uses"),
        "max_uses_per_customer": _limit(terms.max_uses_per_customer, "max_uses_per_customer"),
        "min_tickets": _limit(terms.min_tickets, "min_tickets"), "is_active": bool(terms.is_active),
    }


def _taken(db: Session, event_id: uuid.UUID, keys: Sequence[str]) -> set[str]:
    return set(db.exec(select(PromoCode.code_key).where(PromoCode.event_id == event_id,
                                                        PromoCode.code_key.in_(list(keys)))).all())


def _insert(db: Session, rows: list[PromoCode]) -> None:
    """Write new codes; 409 `duplicate_code` when one exists already (also when a concurrent
    request wrote it first: the unique key decides)."""
    try:
        with db.begin_nested():
            db.add_all(rows)
            db.flush()
    except IntegrityError:
        raise ServiceError("duplicate_code", "This event already has that code.", field="code") from None


def create_code(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, terms: CodeTerms, now: datetime) -> PromoCode:
    """A new code of the event; 409 `duplicate_code` (case-insensitive), 422 as in _checked."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    values = _checked(db, event, terms)
    if _taken(db, event.id, [values["code_key"]]):
        raise ServiceError("duplicate_code", "This event already has that code.", field="code")
    code = PromoCode(id=new_id(), event_id=event.id, created_at=now, **values)
    _insert(db, [code])
    return code


def bulk_create(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, prefix: str, count: int,
                terms: CodeTerms, now: datetime) -> list[PromoCode]:
    """`count` new single-use codes PREFIX-XXXXXXXX (max_uses 1) sharing the terms, in one
    batch for the CSV export."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    if not isinstance(prefix, str) or not CODE_RE.fullmatch(prefix.strip()) or len(prefix.strip()) > 20:
        raise invalid("invalid_input", "A prefix is 1-20 letters, digits, '-' or '_'.", field="prefix")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BULK:
        raise invalid("invalid_input", f"count must be a whole number from 1 to {MAX_BULK}.", field="count")
    prefix = prefix.strip().upper()
    values = _checked(db, event, replace(terms, code=prefix, max_uses=1, max_uses_per_customer=None))
    batch = f"{prefix}-{secrets.token_hex(4)}"
    texts: set[str] = set()
    while len(texts) < count:
        wanted = {f"{prefix}-{''.join(secrets.choice(_ALPHABET) for _ in range(8))}" for _ in range(count - len(texts))}
        texts |= wanted - {t.upper() for t in _taken(db, event.id, [w.lower() for w in wanted])}
    rows = [PromoCode(id=new_id(), event_id=event.id, created_at=now, batch=batch,
                      **{**values, "code": text, "code_key": text.lower()}) for text in sorted(texts)]
    _insert(db, rows)
    return rows


_CHANGEABLE = {"is_active", "max_uses", "max_uses_per_customer", "min_tickets", "starts_at", "ends_at"}


def update_code(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, code_id: uuid.UUID,
                changes: dict[str, Any], now: datetime) -> PromoCode:
    """Pause or resume a code, change its limits or window. Lowering max_uses below the uses
    taken only stops new ones."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    code = db.get(PromoCode, code_id)
    if code is None or code.event_id != event.id:
        raise not_found("promo code")
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise invalid("invalid_input", f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    current = CodeTerms(code=code.code, kind=code.kind, value=code.value, buy_quantity=code.buy_quantity,
                        get_quantity=code.get_quantity, ticket_type_ids=code.ticket_type_ids,
                        price_level_ids=code.price_level_ids, starts_at=code.starts_at, ends_at=code.ends_at,
                        max_uses=code.max_uses, max_uses_per_customer=code.max_uses_per_customer,
                        min_tickets=code.min_tickets, is_active=code.is_active)
    values = _checked(db, event, replace(current, **changes))
    for name in _CHANGEABLE:
        setattr(code, name, values[name])
    code.revision += 1  # holds on the claim counters decided on the old terms step aside
    db.add(code)
    db.flush()
    return code


def list_codes(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime,
               batch: str | None = None) -> list[CodeView]:
    """The event's codes (newest first) with their figures."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    stmt = select(PromoCode).where(PromoCode.event_id == event.id)
    if batch is not None:
        stmt = stmt.where(PromoCode.batch == batch)
    codes = list(db.exec(stmt.order_by(PromoCode.created_at.desc(), PromoCode.code)).all())
    uses = dict(db.exec(select(PromoRedemption.promo_code_id, func.count())
                        .join(PromoCode, PromoCode.id == PromoRedemption.promo_code_id)
                        .where(PromoCode.event_id == event.id, PromoRedemption.expires_at > now)
                        .group_by(PromoRedemption.promo_code_id)).all())
    sales = _paid_sales(db, event.id)
    names = dict(db.exec(select(TicketType.id, TicketType.name).where(TicketType.event_id == event.id)).all())
    currency = event_currency(db, event.id)
    out = []
    for code in codes:
        n, discount, revenue = sales.get(code.id, (0, 0, 0))
        scope = [names.get(uuid.UUID(t), "?") for t in code.ticket_type_ids or []]
        out.append(CodeView(code=code, uses=uses.get(code.id, 0), orders=n, discount_minor=int(discount or 0),
                            revenue_minor=int(revenue or 0), currency=currency, scope_names=scope))
    return out


def _paid_sales(db: Session, event_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, int, int]]:
    """{code id: (paid orders, discount given, revenue)}, net of partial cancellations: the
    discount and the price paid of the tickets still valid (what the sales report counts), so
    a cancelled ticket's refund is not counted as revenue."""
    orders = dict(db.exec(select(Order.id, Order.promo_code_id).where(
        Order.event_id == event_id, Order.promo_code_id.is_not(None),
        Order.status == OrderStatus.confirmed.value)).all())
    out: dict[uuid.UUID, list[int]] = {}
    for code_id in orders.values():
        out.setdefault(code_id, [0, 0, 0])[0] += 1
    for price in ticket_prices(db, orders).values():
        if not price.cancelled:
            figures = out[orders[price.order_id]]
            figures[1] += price.discount_minor
            figures[2] += price.paid_minor
    return {code_id: (n, discount, revenue) for code_id, (n, discount, revenue) in out.items()}


def describe(code: PromoCode, currency: str) -> str:
    """The discount in words: "20 %", "5.00 EUR off", "free", "buy 2 get 1"."""
    if code.kind == PromoKind.percent.value:
        return f"{code.value} % off"
    if code.kind == PromoKind.fixed.value:
        return f"{format_minor(code.value, code.currency or currency)} {code.currency or currency} off"
    if code.kind == PromoKind.free.value:
        return "free"
    return f"buy {code.buy_quantity} get {code.get_quantity}"


def codes_csv(views: Sequence[CodeView]) -> str:
    """The codes and their figures as CSV (the bulk export), formula-looking cells as text."""
    rows: list[list[object]] = [["code", "discount", "active", "uses", "max_uses", "starts_at", "ends_at", "batch",
                                 "orders", "discount_given", "revenue", "currency"]]
    for v in views:
        c = v.code
        rows.append([c.code, describe(c, v.currency), "yes" if c.is_active else "no", v.uses, c.max_uses or "",
                     c.starts_at.isoformat() if c.starts_at else "", c.ends_at.isoformat() if c.ends_at else "",
                     c.batch or "", v.orders, format_minor(v.discount_minor, v.currency) if v.currency else "0",
                     format_minor(v.revenue_minor, v.currency) if v.currency else "0", v.currency])
    return csv_text(rows)
