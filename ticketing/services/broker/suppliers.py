"""Suppliers of an organization (event organizers, venue owners, promoters, production companies
the agency buys tickets from): create, read, change, deactivate."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from ticketing.models import PurchaseOrder, PurchaseOrderStatus, Role, Supplier, SupplierKind
from ticketing.services.accounts.organizations import MANAGER_ROLES, require_role, row_for_role
from ticketing.services.catalog.catalog_common import UNSET
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.money import MoneyError, normalize_currency, parse_amount

KINDS = tuple(k.value for k in SupplierKind)
OPEN_STATUSES = (PurchaseOrderStatus.draft.value, PurchaseOrderStatus.confirmed.value,
                 PurchaseOrderStatus.partially_received.value)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def require_manager(db: Session, *, user_id: uuid.UUID, organization_id: uuid.UUID) -> Role:
    """Owner or organizer of the organization; a stranger gets 404 as for an unknown id."""
    return require_role(db=db, user_id=user_id, organization_id=organization_id, roles=MANAGER_ROLES)


def supplier_for_manager(db: Session, *, user_id: uuid.UUID, supplier_id: uuid.UUID) -> Supplier:
    return row_for_role(db, Supplier, supplier_id, user_id=user_id, what="supplier")


def _text(value: Any, *, field: str, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid(f"invalid_{field}", f"{field} must be text.", field=field)
    value = value.strip()
    if required and not value:
        raise invalid(f"invalid_{field}", f"Give the supplier a {field}.", field=field)
    if len(value) > max_len:
        raise invalid(f"invalid_{field}", f"Keep {field} under {max_len} characters.", field=field)
    return value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated column values of the given supplier fields (UNSET ones left out)."""
    out: dict[str, Any] = {}
    if fields.get("name", UNSET) is not UNSET:
        out["name"] = _text(fields["name"], field="name", max_len=120, required=True)
    if fields.get("kind", UNSET) is not UNSET:
        if fields["kind"] not in KINDS:
            raise invalid("invalid_kind", f"kind is one of {', '.join(KINDS)}.", field="kind")
        out["kind"] = fields["kind"]
    for key, limit in (("contact_name", 120), ("phone", 40), ("notes", 4000)):
        if fields.get(key, UNSET) is not UNSET:
            out[key] = _text(fields[key], field=key, max_len=limit)
    if fields.get("email", UNSET) is not UNSET:
        email = _text(fields["email"], field="email", max_len=254)
        if email and not EMAIL_RE.match(email):
            raise invalid("invalid_email", "Give a valid e-mail address.", field="email")
        out["email"] = email
    if fields.get("payment_terms_days", UNSET) is not UNSET:
        days = fields["payment_terms_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
            raise invalid("invalid_payment_terms", "payment_terms_days is a whole number of days, 0-365.",
                          field="payment_terms_days")
        out["payment_terms_days"] = days
    if fields.get("currency", UNSET) is not UNSET:
        try:
            out["currency"] = normalize_currency(fields["currency"])
        except (MoneyError, TypeError, AttributeError) as exc:
            raise invalid("invalid_currency", "Give an ISO 4217 currency code such as EUR.", field="currency") from exc
    if fields.get("credit_limit", UNSET) is not UNSET:
        limit = fields["credit_limit"]
        if limit is None:
            out["credit_limit_minor"] = None
        else:
            try:
                out["credit_limit_minor"] = parse_amount(str(limit), out.get("currency", fields.get("_currency")))
            except MoneyError as exc:
                raise invalid("invalid_credit_limit", f"credit_limit: {exc}", field="credit_limit") from exc
    return out


def create_supplier(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, name: str, kind: str,
                    now: datetime, contact_name: str = "", email: str = "", phone: str = "",
                    payment_terms_days: int = 30, credit_limit: str | None = None, currency: str = "EUR",
                    notes: str = "") -> Supplier:
    """A new active supplier (owner/organizer). 422 invalid_name, invalid_kind, invalid_email,
    invalid_payment_terms, invalid_credit_limit, invalid_currency; 409 duplicate_name."""
    require_manager(db, user_id=user_id, organization_id=organization_id)
    values = _clean({"name": name, "kind": kind, "contact_name": contact_name, "email": email, "phone": phone,
                     "payment_terms_days": payment_terms_days, "currency": currency, "credit_limit": credit_limit,
                     "notes": notes})
    _ensure_unique(db, organization_id, values["name"])
    supplier = Supplier(organization_id=organization_id, created_at=now, **values)
    db.add(supplier)
    db.flush()
    return supplier


def _ensure_unique(db: Session, organization_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None) -> None:
    found = db.exec(select(Supplier.id).where(Supplier.organization_id == organization_id,
                                              Supplier.name == name)).first()
    if found is not None and found != except_id:
        raise ServiceError("duplicate_name", f"There is already a supplier called {name!r}.", field="name")


def list_suppliers(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID,
                   include_inactive: bool = True) -> list[Supplier]:
    require_manager(db, user_id=user_id, organization_id=organization_id)
    stmt = select(Supplier).where(Supplier.organization_id == organization_id)
    if not include_inactive:
        stmt = stmt.where(Supplier.is_active.is_(True))
    return list(db.exec(stmt.order_by(Supplier.name)).all())


def update_supplier(*, db: Session, user_id: uuid.UUID, supplier_id: uuid.UUID, **fields: Any) -> Supplier:
    """Change the given fields (name, kind, contact_name, email, phone, payment_terms_days,
    credit_limit, currency, notes, is_active); all or nothing. Deactivating goes through
    deactivate_supplier's rule."""
    supplier = supplier_for_manager(db, user_id=user_id, supplier_id=supplier_id)
    unknown = set(fields) - {"name", "kind", "contact_name", "email", "phone", "payment_terms_days",
                             "credit_limit", "currency", "notes", "is_active"}
    if unknown:
        raise invalid("unknown_field", f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    active = fields.pop("is_active", UNSET)
    if active is not UNSET and not isinstance(active, bool):
        raise invalid("invalid_is_active", "is_active must be true or false.", field="is_active")
    values = _clean({**fields, "_currency": supplier.currency})
    if "name" in values:
        _ensure_unique(db, supplier.organization_id, values["name"], except_id=supplier.id)
    if active is False and supplier.is_active:
        _ensure_no_open_orders(db, supplier)
    for key, value in values.items():
        setattr(supplier, key, value)
    if isinstance(active, bool):
        supplier.is_active = active
    db.add(supplier)
    db.flush()
    return supplier


def _ensure_no_open_orders(db: Session, supplier: Supplier) -> None:
    numbers = db.exec(select(PurchaseOrder.number).where(PurchaseOrder.supplier_id == supplier.id,
                                                         PurchaseOrder.status.in_(OPEN_STATUSES))
                      .order_by(PurchaseOrder.number)).all()
    if numbers:
        raise ServiceError("supplier_has_open_orders", f"{supplier.name} still has open purchase orders "
                           f"({', '.join(numbers[:5])}); complete or cancel them first.", numbers=list(numbers[:20]))


def deactivate_supplier(*, db: Session, user_id: uuid.UUID, supplier_id: uuid.UUID) -> Supplier:
    """Deactivate (suppliers are never deleted: orders and sales name them). 409
    supplier_has_open_orders while a draft, confirmed or partially received order is open."""
    return update_supplier(db=db, user_id=user_id, supplier_id=supplier_id, is_active=False)
