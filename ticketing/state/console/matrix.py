"""The ticket-type x session matrix: which sessions each ticket admits to, and each ticket
type's price, quota, sale window, order limits, active flag and position."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import date_range, local_time, money
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.local_times import local_input, parse_local_input
from ticketing.services.money import format_minor
from ticketing.state.calls import form_text
from ticketing.state.console.base import ConsoleState, EditDialogMixin, field_errors
from ticketing.state.console.sessions import checked_ids


def optional_int(form: dict[str, Any], name: str, label: str) -> int | None:
    """A whole number from a field, None when left empty."""
    text = form_text(form, name)
    if not text:
        return None
    if not text.isdigit():
        raise invalid(f"invalid_{name}", f"{label} must be a whole number (or empty).", field=name)
    return int(text)


def _window(starts, ends, tz: str) -> str:
    if starts is None and ends is None:
        return "On sale while published"
    if starts is None:
        return f"Sale ends {date_range(ends, None, tz)}"
    if ends is None:
        return f"On sale from {date_range(starts, None, tz)}"
    return f"On sale {date_range(starts, None, tz)} – {date_range(ends, None, tz)}"


class MatrixState(EditDialogMixin, ConsoleState):
    columns: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    row_errors: dict[str, str] = {}
    currency: str = "EUR"
    currency_locked: bool = False
    add_errors: dict[str, str] = {}
    form_key: int = 0
    busy: bool = False

    def _show(self, b: console_catalog.Builder) -> None:
        tz = b.event.timezone
        self.columns = []
        for r in b.sessions:
            s = local_time(r.session.starts_at, tz)
            self.columns.append({"id": str(r.session.id), "name": r.session.name, "status": r.session.status,
                                 "when": f"{s:%a} {s.day} {s:%b} · {s:%H:%M}", "capacity": r.session.capacity})
        self.rows = []
        for i, t in enumerate(b.ticket_types):
            self.rows.append({
                "id": str(t.id), "name": t.name, "description": t.description, "price": money(t.price_minor, t.currency),
                "price_input": format_minor(t.price_minor, t.currency), "currency": t.currency,
                "quota": "" if t.max_quantity is None else str(t.max_quantity),
                "min": str(t.min_per_order), "max": "" if t.max_per_order is None else str(t.max_per_order),
                "active": t.is_active, "window": _window(t.sale_starts_at, t.sale_ends_at, tz),
                "sale_starts": local_input(t.sale_starts_at, tz), "sale_ends": local_input(t.sale_ends_at, tz),
                "included": [str(s) for s in b.sessions_of[t.id]],
                "locked": "yes" if t.id in b.ordered_types else "", "first": i == 0,
                "last": i == len(b.ticket_types) - 1,
            })
        self.currency = b.ticket_types[0].currency if b.ticket_types else self.currency
        self.currency_locked = bool(b.ticket_types)

    async def _reload(self) -> None:
        builder = await self._load_builder()
        if builder is not None:
            self._show(builder)

    @rx.event
    async def load(self):
        self.row_errors, self.edit_open, self.add_errors = {}, False, {}
        await self._reload()

    async def _update(self, type_id: str, **changes: Any) -> bool:
        """Change one ticket type; a refusal is shown on its row."""
        self.row_errors = {k: v for k, v in self.row_errors.items() if k != type_id}
        try:
            await self._run(lambda db, uid, eid: catalog.update_ticket_type(
                db=db, user_id=uid, event_id=eid, ticket_type_id=uuid.UUID(type_id), now=utcnow(), **changes))
        except (ServiceError, ValueError) as exc:
            self.row_errors = {**self.row_errors,
                               type_id: exc.message if isinstance(exc, ServiceError) else "No such ticket type."}
            return False
        await self._reload()
        return True

    @rx.event
    async def toggle(self, type_id: str, session_id: str):
        """Tick or untick one cell of the matrix."""
        row = next((r for r in self.rows if r["id"] == type_id), None)
        if row is None:
            return
        included = list(row["included"])
        included = [s for s in included if s != session_id] if session_id in included else [*included, session_id]
        try:
            ids = [uuid.UUID(s) for s in included]
        except ValueError:
            return
        await self._update(type_id, session_ids=ids)

    @rx.event
    async def set_active(self, type_id: str, active: bool):
        await self._update(type_id, is_active=bool(active))

    @rx.event
    async def move(self, type_id: str, offset: int):
        try:
            await self._run(lambda db, uid, eid: console_catalog.move_ticket_type(
                db=db, user_id=uid, event_id=eid, ticket_type_id=uuid.UUID(type_id), offset=int(offset),
                now=utcnow()))
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, ServiceError) else "No such ticket type.")
        await self._reload()

    @rx.event
    def open_edit(self, type_id: str):
        self._open_edit(self.rows, type_id)

    @rx.event
    async def save_edit(self, form: dict):
        tz, type_id = self.timezone, self.editing.get("id", "")

        def work(db, uid, eid):
            return catalog.update_ticket_type(
                db=db, user_id=uid, event_id=eid, ticket_type_id=uuid.UUID(type_id), now=utcnow(),
                name=form_text(form, "name"), description=form_text(form, "description"),
                price=form_text(form, "price"), max_quantity=optional_int(form, "max_quantity", "The quota"),
                sale_starts_at=parse_local_input(form_text(form, "sale_starts_at"), tz, field="sale_starts_at"),
                sale_ends_at=parse_local_input(form_text(form, "sale_ends_at"), tz, field="sale_ends_at"),
                min_per_order=optional_int(form, "min_per_order", "Min per order") or 1,
                max_per_order=optional_int(form, "max_per_order", "Max per order"),
                is_active=form.get("is_active") in ("on", "true", True),
            )

        if not await self._save_edit(work, missing="No such ticket type."):
            return
        self.row_errors = {k: v for k, v in self.row_errors.items() if k != type_id}
        await self._reload()
        return rx.toast.success("Ticket type saved.")

    @rx.event
    async def add_type(self, form: dict):
        self.add_errors, self.busy = {}, True
        yield
        currency = self.currency if self.currency_locked else (form_text(form, "currency") or "EUR")

        def work(db, uid, eid):
            return catalog.create_ticket_type(
                db=db, user_id=uid, event_id=eid, name=form_text(form, "name"), price=form_text(form, "price"),
                currency=currency, session_ids=checked_ids(form, "s_"), now=utcnow(),
                max_quantity=optional_int(form, "max_quantity", "The quota"))

        try:
            created = await self._run(work)
        except ServiceError as exc:
            self.add_errors, self.busy = field_errors(exc), False
            return
        self.busy = False
        self.currency = currency
        self.form_key += 1
        await self._reload()
        if created is not None:
            yield rx.toast.success(f"{created.ticket_type.name} added.")
