"""On the organizer's seat map of a broker event: buy the selected seats from a supplier (a
purchase order drafted, and confirmed at once if asked) or return unsold ones to the order that
bought them."""

from __future__ import annotations

import uuid

import reflex as rx
from sqlmodel import select

from ticketing.models import EventSeat, OwnedSeat, PurchaseOrder, TicketType
from ticketing.models.base import utcnow
from ticketing.services.broker import inventory, purchase_orders, suppliers
from ticketing.services.broker.flags import is_broker_event
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import form_text, in_transaction
from ticketing.state.seat_admin import SeatAdminState


class SeatBuyState(rx.State):
    broker: bool = False
    suppliers: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """on_load of the organizer's seat map, after SeatAdminState.load."""
        admin = await self.get_state(SeatAdminState)
        user_id = await (await self.get_state(AuthState))._current_user_id()
        self.broker, self.suppliers = False, []
        if user_id is None or not admin._event_id:
            return
        event_id = uuid.UUID(admin._event_id)

        def work(db):
            event = event_for_role(db, event_id=event_id, user_id=user_id)
            if not is_broker_event(db, event.id):
                return None
            return suppliers.list_suppliers(db=db, user_id=user_id, organization_id=event.organization_id,
                                            include_inactive=False)

        try:
            found = await in_transaction(work, readonly=True)
        except ServiceError:
            return
        if found is not None:
            self.broker = True
            self.suppliers = [{"id": str(s.id), "name": s.name} for s in found]

    async def _context(self) -> tuple[uuid.UUID | None, SeatAdminState, list[int]]:
        admin = await self.get_state(SeatAdminState)
        user_id = await (await self.get_state(AuthState))._current_user_id()
        return user_id, admin, list(admin._selected)

    @rx.event
    async def buy(self, form: dict):
        """Draft a purchase order for the selected seats (confirmed at once when ticked)."""
        user_id, admin, idxs = await self._context()
        if user_id is None:
            admin.error, admin.message = NOT_SIGNED_IN, ""
            return say_not_signed_in()
        if not admin._session_id:
            return None
        if not idxs:
            admin.error = "Select the seats to buy on the map first."
            return None
        try:
            supplier_id = uuid.UUID(form_text(form, "supplier_id"))
        except ValueError:
            admin.error = "Choose the supplier."
            return None
        event_id, session_id = uuid.UUID(admin._event_id), uuid.UUID(admin._session_id)
        cost, confirm_now = form_text(form, "unit_cost"), form.get("confirm") in ("on", True, "true")

        def work(db):
            event = event_for_role(db, event_id=event_id, user_id=user_id)
            seat_ids = list(db.exec(select(EventSeat.id).where(EventSeat.session_id == session_id,
                                                               EventSeat.idx.in_(idxs))).all())
            currency = db.exec(select(TicketType.currency).where(TicketType.event_id == event.id)).first() or "EUR"
            po = purchase_orders.create_purchase_order(
                db=db, user_id=user_id, organization_id=event.organization_id, supplier_id=supplier_id,
                event_id=event.id, currency=currency, lines=[LineIn(unit_cost=cost, seat_ids=seat_ids)], now=utcnow())
            if confirm_now:
                db.flush()
                inventory.confirm_purchase_order(db=db, user_id=user_id, po_id=po.id, now=utcnow())
            return po.number, po.status, len(seat_ids)

        try:
            number, status, count = await in_transaction(work)
        except ServiceError as exc:
            admin.error, admin.message = exc.message, ""
            return None
        admin.error, admin.detail = "", {}
        admin.message = (f"{number} confirmed: {count} seat(s) are now on sale." if status != "draft"
                         else f"{number} drafted for {count} seat(s); confirm it under Broker → Purchase orders.")
        return SeatAdminState.clear

    @rx.event
    async def give_back(self):
        """Return the selected unsold seats to the supplier(s) they were bought from."""
        user_id, admin, idxs = await self._context()
        if user_id is None:
            admin.error, admin.message = NOT_SIGNED_IN, ""
            return say_not_signed_in()
        if not admin._session_id or not idxs:
            admin.error = "Select the seats to return on the map first."
            return None
        session_id = uuid.UUID(admin._session_id)

        def work(db):
            rows = db.exec(select(OwnedSeat.purchase_order_id, OwnedSeat.event_seat_id)
                           .join(EventSeat, EventSeat.id == OwnedSeat.event_seat_id)
                           .where(EventSeat.session_id == session_id, EventSeat.idx.in_(idxs),
                                  OwnedSeat.returned_at.is_(None))).all()
            by_order: dict[uuid.UUID, list[uuid.UUID]] = {}
            for po_id, seat_id in rows:
                by_order.setdefault(po_id, []).append(seat_id)
            for po_id in sorted(by_order):
                inventory.return_inventory(db=db, user_id=user_id, po_id=po_id, seat_ids=by_order[po_id],
                                           now=utcnow())
            return [db.get(PurchaseOrder, p).number for p in sorted(by_order)], len(rows)

        try:
            numbers, count = await in_transaction(work)
        except ServiceError as exc:
            admin.error, admin.message = exc.message, ""
            return None
        admin.error, admin.detail = "", {}
        admin.message = f"{count} seat(s) returned ({', '.join(numbers)})." if count else "No owned seat selected."
        return SeatAdminState.clear
