"""What every page of the organizer console shares: the event's header (title, status, the
live fingerprint of its catalog), publishing, and the live figures pushed by the hub.

Each page's state subclasses ConsoleState. Handlers take the event id from the page's URL and
the caller from the verified token; the services check the caller's role in the event's
organization on every call, so nothing the browser sends is trusted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.notifications.console_mail import cancellation_messages, deliver, refund_summary
from ticketing.payments import refunds
from ticketing.realtime.views import console_view
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog
from ticketing.services.catalog.event_cancellation import cancel_event_with_orders
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.promotions.codes import event_version
from ticketing.services.sales.availability import EventInputs
from ticketing.state.auth import AuthState, not_signed_in
from ticketing.state.calls import in_transaction
from ticketing.state.live import hub, register_view

T = TypeVar("T")



# The order cancellation every console refund goes through: the customers' own cancellation,
# plus the Stripe refund it owes (recorded in the same transaction, sent after commit, retried
# until Stripe confirms).
cancel_order_as_organizer = refunds.cancel_order_refunding

STATUS_LABELS = {"draft": "Draft — not visible to customers", "published": "On sale", "cancelled": "Cancelled"}


class ConsoleLiveState(rx.State):
    """Live figures of the event on screen, pushed by the hub as frontend-only updates."""

    places_left: dict[str, int] = {}
    taken: dict[str, int] = {}
    type_left: dict[str, int] = {}
    bottlenecks: dict[str, str] = {}
    catalog_key: str = ""
    version: int = 0
    live: bool = True


register_view("console", ConsoleLiveState)


def builder_figures(builder: console_catalog.Builder) -> dict[str, Any]:
    """The live vars as of a builder read (the same function the hub pushes with)."""
    inputs = EventInputs(builder.event, [r.session for r in builder.sessions], builder.ticket_types,
                         builder.sessions_of)
    return console_view(builder.availability, inputs)


class ConsoleState(rx.State):
    event_id: str = ""
    title: str = ""
    status: str = ""
    timezone: str = "UTC"
    loaded_key: str = ""
    loaded: bool = False
    missing: bool = False
    status_busy: bool = False

    @rx.var
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @rx.var
    def base_url(self) -> str:
        return f"/manage/events/{self.event_id}"

    def _url_event_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            return None

    async def _caller(self) -> uuid.UUID | None:
        auth = await self.get_state(AuthState)
        return await auth._current_user_id()

    async def _run(self, work: Callable[[Any, uuid.UUID, uuid.UUID], T], *, readonly: bool = False) -> T:
        """`work(db, user_id, event_id)` in one transaction for the signed-in caller and the
        event in the URL. Without either, a ServiceError that every handler shows as the
        refusal it is (never a success message) and the page says "not found"."""
        user_id, event_id = await self._caller(), self._url_event_id()
        if user_id is None or event_id is None:
            self.missing = True
            if user_id is None:
                raise not_signed_in()
            raise not_found("event")
        return await in_transaction(lambda db: work(db, user_id, event_id), readonly=readonly)

    async def _show_builder(self, builder: console_catalog.Builder) -> None:
        """Header vars and live figures from a fresh read; watch the event's live updates."""
        event = builder.event
        self.event_id, self.title, self.status, self.timezone = str(event.id), event.title, event.status, event.timezone
        figures = builder_figures(builder)
        self.loaded_key, self.loaded, self.missing = figures["catalog_key"], True, False
        live = await self.get_state(ConsoleLiveState)
        for name, value in figures.items():
            setattr(live, name, value)
        live.version, live.live = event.version, hub.bus_up
        hub.watch(self.router.session.client_token, str(event.id), "console", event.version)

    async def _load_builder(self) -> console_catalog.Builder | None:
        """Read the builder view and show its header; a refusal shows "not found"."""
        try:
            builder = await self._run(
                lambda db, uid, eid: console_catalog.builder_view(db=db, user_id=uid, event_id=eid, now=utcnow()),
                readonly=True,
            )
        except ServiceError:
            self.missing, self.loaded = True, False
            return None
        if builder is not None:
            await self._show_builder(builder)
        return builder

    @rx.event
    def leave(self):
        hub.unwatch(self.router.session.client_token)

    async def _status_change(self, change: Callable[..., Any], done: str):
        self.status_busy = True
        yield
        try:
            event = await self._run(lambda db, uid, eid: change(db=db, user_id=uid, event_id=eid, now=utcnow()))
        except ServiceError as exc:
            self.status_busy = False
            yield rx.toast.error(exc.message)
            return
        self.status_busy = False
        if event is not None:
            await self._load_builder()  # the new status is part of the catalog's live fingerprint
            yield rx.toast.success(done)

    @rx.event
    async def publish(self):
        async for update in self._status_change(catalog.publish_event, "Published: customers can now buy tickets."):
            yield update

    @rx.event
    async def unpublish(self):
        async for update in self._status_change(catalog.unpublish_event, "Back to draft: hidden from customers."):
            yield update

    @rx.event
    async def cancel_event(self):
        self.status_busy = True
        yield
        try:
            done = await self._run(lambda db, uid, eid: cancel_event_with_orders(
                db=db, user_id=uid, event_id=eid, now=utcnow(), cancel_order=cancel_order_as_organizer))
        except ServiceError as exc:
            self.status_busy = False
            yield rx.toast.error(exc.message)
            return
        self.status_busy = False
        if done is not None:
            await self._load_builder()
            await asyncio.to_thread(deliver, cancellation_messages(done))
            yield rx.toast.success(f"Event cancelled. {refund_summary(done)}")

    @rx.event
    def reload_page(self):
        return rx.call_script("window.location.reload()")


def field_errors(exc: ServiceError) -> dict[str, str]:
    """{field: message} of a refusal, for messages shown beside the field ("form" otherwise)."""
    return {str(exc.extra.get("field") or "form"): exc.message}


class EditDialogMixin(rx.State, mixin=True):
    """The edit dialog of a console list (a session, a ticket type, one date of a schedule):
    which row is open, whether the dialog shows, and the errors the service gave, by field."""

    editing: dict[str, Any] = {}
    edit_open: bool = False
    edit_errors: dict[str, str] = {}

    @rx.event
    def set_edit_open(self, value: bool):
        self.edit_open = value

    def _open_edit(self, rows: list[dict[str, Any]], row_id: str) -> None:
        self.editing = next((r for r in rows if r["id"] == row_id), {})
        self.edit_errors, self.edit_open = {}, bool(self.editing)

    async def _save_edit(self, work: Callable[[Any, uuid.UUID, uuid.UUID], Any], *, missing: str) -> bool:
        """Run the edit; on a refusal keep the dialog open with the errors in place (`missing`
        when the row's id is not one), else close it. Whether it was saved."""
        self.edit_errors = {}
        try:
            await self._run(work)
        except (ServiceError, ValueError) as exc:
            self.edit_errors = field_errors(exc) if isinstance(exc, ServiceError) else {"form": missing}
            return False
        self.edit_open = False
        return True


class FollowVersionMixin(rx.State, mixin=True):
    """A console tab whose figures are read on the server (not pushed): promo codes, presales,
    waiting lists. A tab says what it reads (`_read(db, user_id, event_id)`, in one read-only
    transaction) and how it shows it (`_show(figures)`); `load` shows the event's header (and
    `_take_builder` keeps what the tab needs of the catalog), then `refresh` reads and shows.
    `follow_live` (wired with `components.console.live_refresh`) refreshes when the event's
    version, bumped by every hold, order and offer, has moved since the figures were read."""

    _read_at_version: int | None = -1

    def _read(self, db: Any, user_id: uuid.UUID, event_id: uuid.UUID) -> Any:
        raise NotImplementedError

    def _show(self, figures: Any) -> None:
        raise NotImplementedError

    def _take_builder(self, builder: console_catalog.Builder) -> None:
        """What the tab keeps of the catalog read at load (nothing unless it says so)."""

    @rx.event
    async def load(self):
        builder = await self._load_builder()
        if builder is None:
            return
        self._take_builder(builder)
        await self.refresh()

    @rx.event
    async def refresh(self):
        """The figures again, with the version they were read at (read first: never older)."""
        def work(db, user_id, event_id):
            return event_version(db, event_id), self._read(db, user_id, event_id)

        try:
            read = await self._run(work, readonly=True)
        except ServiceError as exc:
            self.error = exc.message
            return
        if read is not None:
            self._read_at_version, figures = read
            self._show(figures)

    @rx.event
    async def follow_live(self, _version: Any = None):
        event_id = self._url_event_id()
        if event_id is None or await self._caller() is None:  # the read itself checks the role
            return
        version = await in_transaction(lambda db: event_version(db, event_id), readonly=True)
        if version is not None and version != self._read_at_version:
            await self.refresh()


def type_choices(builder: console_catalog.Builder) -> list[dict[str, str]]:
    """The event's ticket types as a form lists them."""
    return [{"id": str(t.id), "name": t.name} for t in builder.ticket_types]
