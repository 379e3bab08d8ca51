"""Broker console of the current organization: suppliers, purchase orders, unsold inventory.

Handlers take the caller from the verified token and the organization from the caller's own
memberships; every service call re-checks the caller's role in that organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import select

from ticketing.formatting import money
from ticketing.models import BrokerEvent, Event, SeatedSession, TicketType
from ticketing.models.base import utcnow
from ticketing.services.broker import inventory, modes, outlook, purchase_orders, supplier_payments, suppliers
from ticketing.services.broker.flags import seated_ticket_type_ids
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.errors import ServiceError
from ticketing.services.money import from_minor
from ticketing.state.auth import NOT_SIGNED_IN, AuthState
from ticketing.state.calls import form_text, in_transaction

T = TypeVar("T")
KINDS = {"venue_owner": "Venue owner", "event_organizer": "Event organizer", "promoter": "Promoter",
         "production_company": "Production company"}


class BrokerState(rx.State):
    """What the broker pages share: the caller, the organization, a message or an error."""

    error: str = ""
    message: str = ""
    _error_code: str = ""  # the stable code of the last refusal (what a page reacts to)

    @rx.event
    def clear_notes(self):
        """on_load: a message of another broker page does not follow the user here."""
        self.error, self.message = "", ""

    async def _run(self, work: Callable[[Any, uuid.UUID, uuid.UUID], T], readonly: bool = False) -> T | None:
        """work(db, user id, organization id) in one transaction; None (and error set) if refused."""
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        org = auth.current_org.get("id", "")
        if user_id is None or not org:
            self.error = NOT_SIGNED_IN if user_id is None else "Sign in as a member of an organization."
            return None
        try:
            return await in_transaction(lambda db: work(db, user_id, uuid.UUID(org)), readonly=readonly)
        except ServiceError as exc:
            self.error, self.message, self._error_code = exc.message, "", exc.code
            return None


def _supplier_row(s) -> dict[str, str]:
    return {"id": str(s.id), "name": s.name, "kind": s.kind.replace("_", " "), "kind_value": s.kind,
            "contact_name": s.contact_name, "email": s.email, "phone": s.phone,
            "payment_terms_days": str(s.payment_terms_days), "terms": f"{s.payment_terms_days} days",
            "credit_limit": "" if s.credit_limit_minor is None else str(from_minor(s.credit_limit_minor, s.currency)),
            "limit": "—" if s.credit_limit_minor is None else money(s.credit_limit_minor, s.currency),
            "notes": s.notes, "active": "yes" if s.is_active else "no"}


class SuppliersState(BrokerState):
    suppliers: list[dict[str, str]] = []
    editing: dict[str, str] = {}  # the supplier in the form; {} while it adds a new one

    @rx.event
    async def load(self):
        rows = await self._run(lambda db, uid, org: suppliers.list_suppliers(db=db, user_id=uid, organization_id=org),
                               readonly=True)
        if rows is not None:
            self.error = ""
            self.suppliers = [_supplier_row(s) for s in rows]

    @rx.event
    def edit(self, supplier_id: str):
        """Fill the form with a listed supplier (saving re-checks everything on the server)."""
        self.editing = next((s for s in self.suppliers if s["id"] == supplier_id), {})
        self.error = self.message = ""

    @rx.event
    def stop_editing(self):
        self.editing = {}

    @rx.event
    async def save(self, form: dict):
        """Add a supplier, or change the one being edited."""
        values = {k: form_text(form, k) for k in ("name", "kind", "email", "contact_name", "phone", "notes")}
        terms = form_text(form, "payment_terms_days") or "30"
        if not terms.isdigit():
            self.error = "Payment terms are a whole number of days."
            return None
        limit = form_text(form, "credit_limit") or None
        editing = self.editing.get("id", "")
        if editing:
            sid = uuid.UUID(editing)
            saved = await self._run(lambda db, uid, org: suppliers.update_supplier(
                db=db, user_id=uid, supplier_id=sid, payment_terms_days=int(terms), credit_limit=limit, **values))
        else:
            saved = await self._run(lambda db, uid, org: suppliers.create_supplier(
                db=db, user_id=uid, organization_id=org, now=utcnow(), payment_terms_days=int(terms),
                credit_limit=limit, **values))
        if saved is None:
            return None
        self.error, self.message = "", f"{saved.name} {'saved' if editing else 'added'}."
        self.editing = {}
        return SuppliersState.load

    async def _set_active(self, supplier_id: str, active: bool):
        try:
            sid = uuid.UUID(supplier_id)
        except ValueError:
            return None
        done = await self._run(lambda db, uid, org: suppliers.update_supplier(db=db, user_id=uid, supplier_id=sid,
                                                                              is_active=active))
        if done is not None:
            self.error, self.message = "", f"{done.name} {'reactivated' if active else 'deactivated'}."
            return SuppliersState.load
        return None

    @rx.event
    async def deactivate(self, supplier_id: str):
        return await self._set_active(supplier_id, False)

    @rx.event
    async def reactivate(self, supplier_id: str):
        return await self._set_active(supplier_id, True)


def _po_row(v: purchase_orders.PurchaseOrderView) -> dict[str, str]:
    po, cur = v.order, v.order.currency
    units = sum(lv.line.quantity for lv in v.lines)
    return {"id": str(po.id), "number": po.number, "status": po.status, "supplier": v.supplier_name,
            "event": v.event_title, "units": str(units), "total": money(po.total_cost_minor, cur),
            "paid": money(po.paid_minor, cur), "owed": money(supplier_payments.owed_minor(po), cur),
            "payment": purchase_orders.payment_status(po), "version": str(po.version)}


class OrdersState(BrokerState):
    orders: list[dict[str, str]] = []
    broker_events: list[dict[str, str]] = []  # {id, title}
    other_events: list[dict[str, str]] = []  # events not in broker mode (may be switched)
    supplier_options: list[dict[str, str]] = []
    ga_types: list[dict[str, str]] = []  # {id, name} general-admission types of broker events
    seat_maps: list[dict[str, str]] = []  # {href, name} seated sessions of broker events

    @rx.event
    async def load(self):
        def work(db, uid, org):
            views = purchase_orders.list_purchase_orders(db=db, user_id=uid, organization_id=org)
            sups = suppliers.list_suppliers(db=db, user_id=uid, organization_id=org, include_inactive=False)
            events = db.exec(select(Event).where(Event.organization_id == org, Event.status != "cancelled")
                             .order_by(Event.title)).all()
            broker = set(db.exec(select(BrokerEvent.event_id).where(
                BrokerEvent.event_id.in_([e.id for e in events] or [uuid.uuid4()]))).all())
            types, maps = [], []
            for e in events:
                if e.id not in broker:
                    continue
                seated = seated_ticket_type_ids(db, e.id)
                types += [{"id": str(t.id), "name": f"{e.title} — {t.name}"} for t in db.exec(
                    select(TicketType).where(TicketType.event_id == e.id)).all() if t.id not in seated]
                maps += [{"href": f"/manage/events/{e.id}/seats/{s}", "name": e.title} for s in db.exec(
                    select(SeatedSession.session_id).where(SeatedSession.event_id == e.id)).all()]
            return views, sups, events, broker, types, maps

        found = await self._run(work, readonly=True)
        if found is None:
            return
        views, sups, events, broker, types, maps = found
        self.orders = [_po_row(v) for v in views]
        self.supplier_options = [{"id": str(s.id), "name": s.name} for s in sups]
        self.broker_events = [{"id": str(e.id), "title": e.title} for e in events if e.id in broker]
        self.other_events = [{"id": str(e.id), "title": e.title} for e in events if e.id not in broker]
        self.ga_types, self.seat_maps = types, maps

    async def _act(self, po_id: str, verb: str, fn: Callable[..., Any], **kw: Any):
        try:
            pid = uuid.UUID(po_id)
        except ValueError:
            return None
        done = await self._run(lambda db, uid, org: fn(db=db, user_id=uid, po_id=pid, now=utcnow(), **kw))
        if done is not None:
            self.error, self.message = "", f"{getattr(done, 'number', 'Purchase order')} {verb}."
            return OrdersState.load
        return None

    @rx.event
    async def confirm(self, po_id: str, version: str):
        return await self._act(po_id, "confirmed: its inventory is on sale", inventory.confirm_purchase_order,
                               version=int(version) if version.isdigit() else None)

    @rx.event
    async def receive(self, po_id: str):
        return await self._act(po_id, "received", inventory.receive_purchase_order)

    @rx.event
    async def cancel(self, po_id: str):
        return await self._act(po_id, "cancelled", inventory.cancel_purchase_order)

    @rx.event
    async def pay(self, form: dict):
        po_id, amount = form_text(form, "po_id"), form_text(form, "amount")
        try:
            pid = uuid.UUID(po_id)
        except ValueError:
            return None
        paid = await self._run(lambda db, uid, org: supplier_payments.pay_supplier(
            db=db, user_id=uid, po_id=pid, amount=amount, now=utcnow(), reference=form_text(form, "reference")))
        if paid is not None:
            self.error, self.message = "", f"Payment of {amount} {paid.currency} recorded."
            return OrdersState.load
        return None

    @rx.event
    async def create_quantity(self, form: dict):
        """A draft by quantity (general admission)."""
        try:
            supplier_id, type_id = uuid.UUID(form_text(form, "supplier_id")), uuid.UUID(form_text(form, "type_id"))
        except ValueError:
            self.error = "Choose a supplier and a ticket type."
            return None
        qty = form_text(form, "quantity")
        if not qty.isdigit():
            self.error = "The quantity is a whole number."
            return None

        def work(db, uid, org):
            ticket_type = db.get(TicketType, type_id)
            event_id = ticket_type.event_id if ticket_type else uuid.uuid4()
            return purchase_orders.create_purchase_order(
                db=db, user_id=uid, organization_id=org, supplier_id=supplier_id, event_id=event_id,
                currency=ticket_type.currency if ticket_type else "EUR", now=utcnow(),
                lines=[LineIn(unit_cost=form_text(form, "unit_cost"), ticket_type_id=type_id, quantity=int(qty))])

        made = await self._run(work)
        if made is not None:
            self.error, self.message = "", f"{made.number} drafted; confirm it to put its places on sale."
            return OrdersState.load
        return None

    @rx.event
    async def enable(self, form: dict):
        try:
            event_id = uuid.UUID(form_text(form, "event_id"))
        except ValueError:
            self.error = "Choose an event."
            return None
        done = await self._run(lambda db, uid, org: modes.enable_broker_mode(db=db, user_id=uid, event_id=event_id,
                                                                              now=utcnow()))
        if done is not None:
            self.error, self.message = "", "The event now sells only inventory bought through purchase orders."
            return OrdersState.load
        return None


class InventoryState(BrokerState):
    rows: list[dict[str, str]] = []
    seat_maps: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        def work(db, uid, org):
            rows = outlook.unsold_inventory(db=db, user_id=uid, organization_id=org, now=utcnow())
            events = db.exec(select(Event.id, Event.title).join(BrokerEvent, BrokerEvent.event_id == Event.id)
                             .where(Event.organization_id == org)).all()
            maps = [{"href": f"/manage/events/{eid}/seats/{sid}", "name": title} for eid, title in events
                    for sid in db.exec(select(SeatedSession.session_id).where(SeatedSession.event_id == eid)).all()]
            return rows, maps

        found = await self._run(work, readonly=True)
        if found is None:
            return
        rows, self.seat_maps = found
        self.error = ""
        self.rows = [{"event": r.event_title, "supplier": r.supplier_name, "number": r.number, "kind": r.kind,
                      "unsold": str(r.unsold), "cost": money(r.unit_cost_minor, r.currency),
                      "value": money(r.value_minor, r.currency), "age": f"{r.age_days} d"} for r in rows]
