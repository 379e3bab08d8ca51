"""Organizations: create one, see members of the current one, add members (owners)."""

from __future__ import annotations

import uuid

import reflex as rx

from ticketing.formatting import date_range
from ticketing.models import Role
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.accounts import organizations
from ticketing.services.errors import ServiceError
from ticketing.services.reporting.failed_jobs import list_failed_jobs
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import form_text, in_transaction

# What each job does, in the organizer's words.
JOB_LABELS = {
    "order_confirmation": "Order confirmation mail",
    "payment_refunded_notice": "Refund notice mail",
    "transferred_ticket": "Transferred ticket mail",
    "refund": "Refund to the card",
    "cancel_intent": "Closing an unpaid payment",
}


PHASES = ("draft", "on_sale", "past", "cancelled")


def event_phase(summary, now) -> str:
    """Where an event is in its life, as the organizer's list filters it."""
    status = summary.event.status
    if status in ("draft", "cancelled"):
        return status
    return "past" if summary.ends_at is not None and summary.ends_at <= now else "on_sale"


class OrgState(rx.State):
    members: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    failed_jobs: list[dict[str, str]] = []  # mails or refunds that failed for good (owners, organizers)
    event_filter: str = "all"  # all | draft | on_sale | past | cancelled
    form_error: str = ""
    member_error: str = ""
    busy: bool = False

    @rx.var
    def shown_events(self) -> list[dict[str, str]]:
        return [e for e in self.events if self.event_filter in ("all", e["phase"])]

    @rx.var
    def phase_counts(self) -> dict[str, int]:
        counts = {phase: 0 for phase in PHASES}
        for e in self.events:
            counts[e["phase"]] = counts.get(e["phase"], 0) + 1
        counts["all"] = len(self.events)
        return counts

    @rx.event
    def set_event_filter(self, value: str):
        self.event_filter = value if value in ("all", *PHASES) else "all"

    async def _caller(self) -> tuple[uuid.UUID | None, AuthState]:
        auth = await self.get_state(AuthState)
        return await auth._current_user_id(), auth

    @rx.event
    async def load_members(self):
        """on_load of /orgs (after the staff guard)."""
        user_id, auth = await self._caller()
        if user_id is None or not auth.current_org["id"]:
            self.members, self.member_error = [], NOT_SIGNED_IN if user_id is None else ""
            return
        org_id = uuid.UUID(auth.current_org["id"])

        def work(db):
            members = organizations.list_members(db=db, user_id=user_id, organization_id=org_id)
            events = catalog.list_events_for_org(db=db, user_id=user_id, organization_id=org_id, now=utcnow())
            role = organizations.membership_role(db=db, user_id=user_id, organization_id=org_id)
            failed = (list_failed_jobs(db=db, user_id=user_id, organization_id=org_id)
                      if role in (Role.owner, Role.organizer) else [])
            return members, events, failed

        try:
            members, events, failed = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.member_error, self.members, self.events, self.failed_jobs = exc.message, [], [], []
            return
        self.failed_jobs = [
            {"what": JOB_LABELS.get(f.task, f.task), "subject": f.subject, "error": f.error,
             "when": f.failed_at.strftime("%Y-%m-%d %H:%M UTC"), "attempts": str(f.attempts)}
            for f in failed
        ]
        now = utcnow()
        self.members = [{"name": u.name, "email": u.email, "role": r.value} for u, r in members]
        self.events = [
            {
                "id": str(e.event.id), "title": e.event.title, "status": e.event.status,
                "when": date_range(e.starts_at, e.ends_at, e.event.timezone),
                "dashboard": f"/manage/events/{e.event.id}", "public": f"/events/{e.event.id}",
                "door": f"/door/{e.event.id}",
                "manage": f"/manage/events/{e.event.id}/setup",
                "phase": event_phase(e, now),
            }
            for e in events
        ]

    @rx.event
    async def create_org(self, form: dict):
        self.form_error, self.busy = "", True
        yield
        user_id, auth = await self._caller()
        if user_id is None:
            self.form_error, self.busy = NOT_SIGNED_IN, False
            yield say_not_signed_in()
            yield rx.redirect("/login?next=/orgs/new")
            return
        name, slug = form_text(form, "name"), form_text(form, "slug")
        try:
            org = await in_transaction(
                lambda db: organizations.create_organization(db=db, user_id=user_id, name=name, slug=slug, now=utcnow())
            )
        except ServiceError as exc:
            self.form_error, self.busy = exc.message, False
            return
        auth.current_org_id = str(org.id)
        await auth._refresh()
        self.busy = False
        yield rx.toast.success(f"{org.name} is ready.")
        yield rx.redirect("/orgs")

    @rx.event
    async def add_member(self, form: dict):
        self.member_error = ""
        user_id, auth = await self._caller()
        if user_id is None:
            self.member_error = NOT_SIGNED_IN
            return [say_not_signed_in(), rx.redirect("/login?next=/orgs")]
        if not auth.current_org["id"]:
            self.member_error = "Choose an organization first."
            return None
        org_id = uuid.UUID(auth.current_org["id"])
        email, role = form_text(form, "email"), form_text(form, "role") or "organizer"
        try:
            await in_transaction(
                lambda db: organizations.add_member(
                    db=db, user_id=user_id, organization_id=org_id, email=email, role=role, now=utcnow()
                )
            )
        except ServiceError as exc:
            self.member_error = exc.message
            return
        return [OrgState.load_members, rx.toast.success(f"{email} added as {role}.")]
