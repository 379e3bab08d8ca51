"""Presales: create one (window, reserved ticket types: the ones ticked or all, quota, release
at the end), give it access codes (typed or generated, with a use limit), end it or change its
release, and see each code's uses and the tickets taken, refreshed live."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.local_times import local_input, parse_local_input
from ticketing.services.presales import setup
from ticketing.state.calls import form_text, form_whole
from ticketing.state.console.base import ConsoleState, FollowVersionMixin, type_choices
from ticketing.state.console.sessions import checked_ids

STATUS_LABELS = {"upcoming": "Upcoming", "on": "On now", "over": "Over"}


class PresalesState(FollowVersionMixin, ConsoleState):
    presales: list[dict[str, Any]] = []
    ticket_types: list[dict[str, str]] = []
    error: str = ""
    code_error: str = ""
    notice: str = ""

    def _show(self, views: list[setup.PresaleView]) -> None:
        tz = self.timezone
        self.presales = [
            {"id": str(v.presale.id), "name": v.presale.name, "status": v.status,
             "status_label": STATUS_LABELS[v.status],
             "window": " – ".join(local_input(at, tz).replace("T", " ") for at in (v.presale.starts_at,
                                                                                 v.presale.ends_at)),
             "block": self._block(v.presale),
             "sold": f"{v.sold} / {v.presale.quota}" if v.presale.quota is not None else str(v.sold),
             "release": v.presale.release_at_end,
             "codes": [{"code": c.code.code, "uses": f"{c.uses} / {c.code.max_uses}"} for c in v.codes]}
            for v in views
        ]

    def _block(self, presale: Any) -> str:
        """What the presale reserves, its ticket types in the event's order."""
        if presale.seat_ids:
            return f"{len(presale.seat_ids)} seats"
        if not presale.ticket_type_ids:
            return "All ticket types"
        return ", ".join(t["name"] for t in self.ticket_types if t["id"] in presale.ticket_type_ids)

    def _take_builder(self, builder) -> None:
        self.ticket_types = type_choices(builder)

    def _read(self, db, user_id, event_id) -> list[setup.PresaleView]:
        return setup.list_presales(db=db, user_id=user_id, event_id=event_id, now=utcnow())

    async def _change(self, work, notice: str, error_field: str = "error") -> None:
        """Run a change, then show the presales as they are now (or why it was refused)."""
        def run(db, user_id, event_id):
            work(db, user_id, event_id)
            return self._read(db, user_id, event_id)

        try:
            views = await self._run(run)
        except ServiceError as exc:
            setattr(self, error_field, exc.message)
            self.notice = ""
            return
        if views is not None:
            self.error, self.code_error, self.notice = "", "", notice
            self._show(views)

    @rx.event
    async def create(self, form: dict[str, Any]):
        def work(db, user_id, event_id):
            tz = self.timezone
            fields = {
                "name": form_text(form, "name"),
                "starts_at": parse_local_input(form_text(form, "starts_at"), tz, field="starts_at"),
                "ends_at": parse_local_input(form_text(form, "ends_at"), tz, field="ends_at"),
                # The ticked types (none ticked: every type); the service checks they are the event's.
                "ticket_type_ids": checked_ids(form, "type_") or None,
                "quota": form_whole(form, "quota", "Quota"),
                "release_at_end": bool(form.get("release_at_end")),
            }
            setup.create_presale(db=db, user_id=user_id, event_id=event_id, fields=fields, now=utcnow())

        await self._change(work, f"Presale {form_text(form, 'name')} created: now give it access codes.")

    @rx.event
    async def add_codes(self, form: dict[str, Any]):
        """Typed codes (separated by commas or spaces) and/or a number of generated ones, for the
        form's presale."""
        try:
            target = uuid.UUID(form_text(form, "presale_id"))
        except ValueError:
            return
        typed = [c for c in re.split(r"[\s,;]+", form_text(form, "codes")) if c]

        def work(db, user_id, event_id):
            setup.add_codes(db=db, user_id=user_id, event_id=event_id, presale_id=target, codes=typed or None,
                            count=form_whole(form, "count", "How many"),
                            max_uses=form_whole(form, "max_uses", "Uses per code"), now=utcnow())

        await self._change(work, "Access codes added.", "code_error")

    @rx.event
    async def set_release(self, presale_id: str, release: bool):
        """Whether the unsold block goes on general sale when the presale ends."""
        try:
            target = uuid.UUID(str(presale_id))
        except ValueError:
            return
        await self._change(lambda db, uid, eid: setup.update_presale(
            db=db, user_id=uid, event_id=eid, presale_id=target, changes={"release_at_end": bool(release)},
            now=utcnow()), "Presale changed.")

    @rx.event
    async def end_now(self, presale_id: str):
        """End the presale at once (its block then follows its release setting)."""
        try:
            target = uuid.UUID(str(presale_id))
        except ValueError:
            return

        def work(db, user_id, event_id):
            now = utcnow()
            presale = setup.get_presale(db, user_id=user_id, event_id=event_id, presale_id=target)
            changes = {"ends_at": now} if presale.starts_at < now else {"starts_at": now - timedelta(seconds=1),
                                                                        "ends_at": now}
            setup.update_presale(db=db, user_id=user_id, event_id=event_id, presale_id=target, changes=changes,
                                 now=now)

        await self._change(work, "Presale ended.")
