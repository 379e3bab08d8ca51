"""Event setup: details, cover image, settings, and what is still missing before publishing."""

from __future__ import annotations

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog, event_media
from ticketing.services.errors import ServiceError
from ticketing.state.calls import form_text
from ticketing.state.console.base import ConsoleState, field_errors

TOO_BIG = "The image is larger than 5 MB; please use a smaller one."
INT_FIELDS = ("hold_minutes", "payment_minutes", "max_tickets_per_order", "cancellation_deadline_hours",
              "cancellation_fee_percent", "offer_minutes")


def _int(form: dict, name: str) -> int | str:
    """The integer typed in a field, or the raw text (the service refuses it with a message)."""
    text = form_text(form, name)
    return int(text) if text.lstrip("-").isdigit() else text


def _checked(form: dict, name: str) -> bool:
    return form.get(name) in ("on", "true", True)


class SetupState(ConsoleState):
    details: dict[str, str] = {}
    settings: dict[str, str] = {}
    one_per_attendee: bool = False
    allow_cancellation: bool = True
    attendee_names: str = "auto"
    cover_image: str = ""
    checklist: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    form_key: int = 0
    saving: str = ""

    def _show(self, builder: console_catalog.Builder) -> None:
        e = builder.event
        self.details = {"title": e.title, "description": e.description, "location": e.location,
                        "category": e.category, "timezone": e.timezone}
        self.settings = {name: str(getattr(e, name)) for name in INT_FIELDS}
        self.one_per_attendee, self.allow_cancellation = e.one_ticket_per_attendee, e.allow_cancellation
        self.attendee_names = e.attendee_names
        self.cover_image = e.cover_image
        now = utcnow()
        upcoming = any(r.session.status == "scheduled" and r.session.ends_at > now for r in builder.sessions)
        active = any(t.is_active for t in builder.ticket_types)
        self.checklist = [
            {"label": "Title, place and time zone", "done": "yes" if e.title and e.location else "",
             "hint": "Add where it happens so buyers can find it."},
            {"label": "At least one upcoming session", "done": "yes" if upcoming else "",
             "hint": "Sessions are the dates and their capacity: add them under Sessions or Recurring."},
            {"label": "At least one ticket type on sale", "done": "yes" if active else "",
             "hint": "Say what people can buy under Tickets."},
        ]
        self.form_key += 1

    @rx.event
    async def load(self):
        self.errors = {}
        builder = await self._load_builder()
        if builder is not None:
            self._show(builder)

    async def _save(self, what: str, change, done: str):
        self.errors, self.saving = {}, what
        yield
        try:
            await self._run(lambda db, uid, eid: change(db, uid, eid))
        except ServiceError as exc:
            self.errors, self.saving = field_errors(exc), ""
            return
        self.saving = ""
        builder = await self._load_builder()
        if builder is not None:
            self._show(builder)
        yield rx.toast.success(done)

    @rx.event
    async def save_details(self, form: dict):
        values = {name: form_text(form, name) for name in ("title", "location", "category", "timezone")}
        values["description"] = form.get("description", "") if isinstance(form.get("description"), str) else ""
        async for update in self._save(
            "details",
            lambda db, uid, eid: catalog.update_event(db=db, user_id=uid, event_id=eid, now=utcnow(), **values),
            "Details saved.",
        ):
            yield update

    @rx.event
    async def save_settings(self, form: dict):
        values = {name: _int(form, name) for name in INT_FIELDS}
        values["one_ticket_per_attendee"] = _checked(form, "one_ticket_per_attendee")
        values["allow_cancellation"] = _checked(form, "allow_cancellation")
        values["attendee_names"] = form_text(form, "attendee_names") or "auto"
        async for update in self._save(
            "settings",
            lambda db, uid, eid: catalog.update_event(db=db, user_id=uid, event_id=eid, now=utcnow(), **values),
            "Settings saved.",
        ):
            yield update

    @rx.event(background=True)
    async def upload_cover(self, chunks: rx.UploadChunkIterator):
        """The cover image, streamed: the caller and their role are checked before the first
        byte is read, and reading stops past MAX_COVER_BYTES (returning early makes Reflex
        answer the upload 400 without reading the rest of the body)."""
        async with self:
            self.errors, self.saving = {}, "cover"
            try:
                await self._run(lambda db, uid, eid: event_media.check_cover_editor(db=db, user_id=uid, event_id=eid),
                                readonly=True)
            except ServiceError as exc:
                self.errors, self.saving = field_errors(exc), ""
                return rx.toast.error(exc.message)
        data = bytearray()
        async for chunk in chunks:
            data += chunk.data
            if len(data) > event_media.MAX_COVER_BYTES:
                async with self:
                    self.errors, self.saving = {"cover": TOO_BIG}, ""
                return rx.toast.error(TOO_BIG)
        storage = rx.get_upload_dir()
        async with self:
            try:
                await self._run(lambda db, uid, eid: event_media.set_cover_image(
                    db=db, user_id=uid, event_id=eid, data=bytes(data), storage_dir=storage, now=utcnow()))
            except ServiceError as exc:
                self.errors, self.saving = field_errors(exc), ""
                return rx.toast.error(exc.message)
            self.saving = ""
            builder = await self._load_builder()
            if builder is not None:
                self._show(builder)
        return rx.toast.success("Cover image saved.")

    @rx.event
    async def remove_cover(self):
        async for update in self._save(
            "cover",
            lambda db, uid, eid: event_media.remove_cover_image(db=db, user_id=uid, event_id=eid, now=utcnow()),
            "Cover image removed.",
        ):
            yield update
