"""Creating an event: a draft in the current organization, then on to its setup."""

from __future__ import annotations

import uuid

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.state.auth import AuthState
from ticketing.state.calls import form_text, in_transaction
from ticketing.state.console.base import field_errors


class NewEventState(rx.State):
    errors: dict[str, str] = {}
    busy: bool = False

    @rx.event
    async def create(self, form: dict):
        self.errors, self.busy = {}, True
        yield
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        org_id = auth.current_org["id"]
        if user_id is None or not org_id:
            self.busy = False
            yield rx.redirect("/login?next=/manage/new-event")
            return
        values = {name: form_text(form, name) for name in ("title", "location", "timezone")}
        try:
            event = await in_transaction(lambda db: catalog.create_event(
                db=db, user_id=user_id, organization_id=uuid.UUID(org_id), now=utcnow(), **values))
        except ServiceError as exc:
            self.errors, self.busy = field_errors(exc), False
            return
        self.busy = False
        yield rx.redirect(f"/manage/events/{event.id}/sessions")
