"""One purchase order in the broker console: change a draft's lines and header (optimistic
locking: every change names the version the user loaded), confirm, receive line by line, give
unsold general-admission places back, cancel.

The order comes from the route; every service call re-checks that the caller manages its
organization. Lines are rebuilt on the server from the stored order: the form only supplies
costs, quantities, notes and which lines to drop.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import reflex as rx
from sqlmodel import select

from ticketing.formatting import money
from ticketing.models import EventSession, SeatedSession, TicketType, User
from ticketing.models.base import utcnow
from ticketing.services.broker import inventory, purchase_orders, supplier_payments
from ticketing.services.broker.flags import seated_ticket_type_ids
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.money import from_minor
from ticketing.state.broker import BrokerState
from ticketing.state.calls import form_text

METHODS = {"electronic_transfer": "Electronic transfer", "mobile_transfer": "Mobile transfer",
           "pdf_delivery": "PDF delivery", "will_call": "Will call", "paper_shipment": "Paper shipment"}


def _line_row(db, lv: purchase_orders.LineView, currency: str) -> dict[str, str]:
    line = lv.line
    if line.session_id is not None:
        session = db.get(EventSession, line.session_id)
        what, kind, type_id = f"Seats · {session.name if session else 'performance'}", "seats", ""
    else:
        ticket_type = db.get(TicketType, line.ticket_type_id)
        what, kind, type_id = ticket_type.name if ticket_type else "Places", "places", str(line.ticket_type_id)
    outstanding = line.quantity - line.received_quantity - line.returned_quantity
    return {"id": str(line.id), "what": what, "kind": kind, "ticket_type_id": type_id,
            "quantity": str(line.quantity), "unit_cost": str(from_minor(line.unit_cost_minor, currency)),
            "cost": money(line.unit_cost_minor, currency),
            "total": money(line.unit_cost_minor * line.quantity, currency),
            "received": str(line.received_quantity), "returned": str(line.returned_quantity),
            "outstanding": str(max(outstanding, 0)), "notes": line.notes}


def _who(db, user_id: uuid.UUID | None, at) -> str:
    user = db.get(User, user_id) if user_id else None
    return f"{user.name if user else 'someone'} on {at:%d %b %Y %H:%M} UTC" if at else ""


def _order_row(db, v: purchase_orders.PurchaseOrderView) -> dict[str, str]:
    po, cur = v.order, v.order.currency
    return {"status_label": po.status.replace("_", " "), "drafted": _who(db, po.submitted_by, po.submitted_at),
            "approved": _who(db, po.approved_by, po.approved_at),
            "id": str(po.id), "number": po.number, "status": po.status, "supplier": v.supplier_name,
            "event": v.event_title, "currency": cur, "total": money(po.total_cost_minor, cur),
            "paid": money(po.paid_minor, cur), "owed": money(supplier_payments.owed_minor(po), cur),
            "payment": purchase_orders.payment_status(po), "version": str(po.version),
            "expected_date": po.expected_date.isoformat() if po.expected_date else "",
            "fulfillment_method": po.fulfillment_method, "fulfillment_notes": po.fulfillment_notes,
            "reference": po.reference, "notes": po.notes}


def _whole(text: str) -> int | None:
    return int(text) if text.isdigit() else None


class OrderDetailState(BrokerState):
    order: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    ga_types: list[dict[str, str]] = []  # the event's general-admission types (a draft may add places)
    return_types: list[dict[str, str]] = []  # general-admission types this order bought
    seat_map_href: str = ""  # where seats of this order go back (seat map selection)
    version: int = 0  # the version on screen: what every change is made on
    conflict: bool = False
    missing: bool = False

    def _po_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("po_id", "")))
        except ValueError:
            return None

    @rx.event
    async def load(self):
        po_id = self._po_id()
        if po_id is None:
            self.missing = True
            return

        def work(db, uid, org):
            v = purchase_orders.get_purchase_order(db=db, user_id=uid, po_id=po_id)
            seated = seated_ticket_type_ids(db, v.order.event_id)
            types = [{"id": str(t.id), "name": t.name} for t in db.exec(
                select(TicketType).where(TicketType.event_id == v.order.event_id).order_by(TicketType.sort_order))
                .all() if t.id not in seated]
            sessions = db.exec(select(SeatedSession.session_id).where(SeatedSession.event_id == v.order.event_id)
                               ).all()
            return v, _order_row(db, v), [_line_row(db, lv, v.order.currency) for lv in v.lines], types, sessions

        found = await self._run(work, readonly=True)
        self.missing = found is None
        if found is None:
            return
        v, self.order, self.lines, self.ga_types, sessions = found
        self.version, self.conflict = v.order.version, False
        bought = {ln["ticket_type_id"] for ln in self.lines if ln["kind"] == "places"}
        self.return_types = [t for t in self.ga_types if t["id"] in bought]
        has_seats = any(ln["kind"] == "seats" for ln in self.lines)
        self.seat_map_href = f"/manage/events/{v.order.event_id}/seats/{sessions[0]}" if has_seats and sessions \
            else ""

    async def _change(self, verb: str, fn: Any):
        """Run fn(db, user id, po id) on the loaded version; reload after, say so on a conflict."""
        po_id = self._po_id()
        if po_id is None:
            return None
        done = await self._run(lambda db, uid, org: fn(db, uid, po_id))
        if done is None:
            self.conflict = self._error_code == "version_conflict"
            if self.conflict:
                self.error = ""  # the conflict notice says it, with the way out
            return None
        self.error, self.message = "", f"{done.number} {verb}."
        return OrderDetailState.load

    @rx.event
    async def save(self, form: dict):
        """The header, and (a draft) its lines: costs, quantities, notes, lines dropped, a line of
        places added."""
        header: dict[str, Any] = {k: form_text(form, k) for k in ("fulfillment_notes", "reference", "notes")}
        method = form_text(form, "fulfillment_method")
        if method:
            header["fulfillment_method"] = method
        expected = form_text(form, "expected_date")
        try:
            header["expected_date"] = date.fromisoformat(expected) if expected else None
        except ValueError:
            self.error = "The expected date is a date (YYYY-MM-DD)."
            return None
        draft = self.order.get("status") == "draft"
        add_type, add_qty = form_text(form, "add_type"), form_text(form, "add_quantity")
        if add_qty and (_whole(add_qty) is None or not add_type):
            self.error = "To add places, choose a ticket type and give a whole number."
            return None
        version = self.version

        def work(db, uid, po_id):
            lines = None
            if draft:
                lines = [_edited(lv, form) for lv in purchase_orders.get_purchase_order(
                    db=db, user_id=uid, po_id=po_id).lines if form_text(form, f"remove_{lv.line.id}") != "on"]
                if add_qty:
                    lines.append(LineIn(unit_cost=form_text(form, "add_cost"), ticket_type_id=_uuid(add_type),
                                        quantity=_whole(add_qty)))
            return purchase_orders.update_purchase_order(db=db, user_id=uid, po_id=po_id, version=version,
                                                         now=utcnow(), lines=lines, **header)

        return await self._change("saved", work)

    @rx.event
    async def confirm(self):
        version = self.version
        return await self._change("confirmed: its inventory is on sale", lambda db, uid, po_id: (
            inventory.confirm_purchase_order(db=db, user_id=uid, po_id=po_id, now=utcnow(), version=version)))

    @rx.event
    async def cancel(self):
        version = self.version
        return await self._change("cancelled", lambda db, uid, po_id: inventory.cancel_purchase_order(
            db=db, user_id=uid, po_id=po_id, now=utcnow(), version=version))

    @rx.event
    async def receive(self, form: dict):
        """Units delivered per line (blank or 0 = none of that line)."""
        received: list[tuple[uuid.UUID, int]] = []
        for line in self.lines:
            text = form_text(form, f"receive_{line['id']}")
            if not text or text == "0":
                continue
            qty = _whole(text)
            if qty is None:
                self.error = f"{line['what']}: received is a whole number."
                return None
            received.append((uuid.UUID(line["id"]), qty))
        if not received:
            self.error = "Say how many units of which line arrived."
            return None
        version = self.version
        return await self._change("delivery recorded", lambda db, uid, po_id: inventory.receive_purchase_order(
            db=db, user_id=uid, po_id=po_id, now=utcnow(), received=received, version=version))

    @rx.event
    async def return_places(self, form: dict):
        """Unsold general-admission places back to the supplier (never sellable again)."""
        qty = _whole(form_text(form, "return_quantity"))
        type_id = _uuid(form_text(form, "return_type"))
        if qty is None or qty < 1 or type_id is None:
            self.error = "Choose the places and how many go back (a whole number)."
            return None
        version = self.version
        return await self._change(f"returned {qty} place(s) to the supplier",
                                  lambda db, uid, po_id: inventory.return_inventory(
                                      db=db, user_id=uid, po_id=po_id, now=utcnow(), quantity=qty,
                                      ticket_type_id=type_id, version=version))


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _edited(lv: purchase_orders.LineView, form: dict) -> LineIn:
    """A stored line with the form's cost, notes and (places) quantity; seats stay as stored."""
    key = lv.line.id
    cost = form_text(form, f"cost_{key}")
    notes = form_text(form, f"notes_{key}")
    if lv.line.ticket_type_id is None:
        return LineIn(unit_cost=cost, seat_ids=lv.seat_ids, notes=notes)
    qty = _whole(form_text(form, f"qty_{key}"))
    return LineIn(unit_cost=cost, ticket_type_id=lv.line.ticket_type_id, notes=notes,
                  quantity=qty if qty is not None else -1)
