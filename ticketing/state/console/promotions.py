"""Promo codes: create one, generate single-use ones in bulk (CSV), pause or resume, and the
figures per code (uses now, paid orders, discount given, revenue), refreshed live."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import money
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.local_times import local_input, parse_local_input
from ticketing.services.promotions import codes
from ticketing.services.promotions.codes import CodeTerms
from ticketing.state.calls import form_text, form_whole
from ticketing.state.console.base import ConsoleState, FollowVersionMixin, type_choices

KINDS = [("percent", "% off"), ("fixed", "Amount off each ticket"), ("free", "Free (comp)"),
         ("buy_x_get_y", "Buy X get Y")]


class PromoCodesState(FollowVersionMixin, ConsoleState):
    codes: list[dict[str, Any]] = []
    ticket_types: list[dict[str, str]] = []
    kind: str = "percent"
    bulk_kind: str = "free"
    scope: str = "all"  # "all" or one ticket type id
    error: str = ""
    bulk_error: str = ""
    notice: str = ""
    _last_batch: str = ""

    @rx.event
    def set_kind(self, value: str):
        self.kind = value if value in dict(KINDS) else "percent"

    @rx.event
    def set_bulk_kind(self, value: str):
        self.bulk_kind = value if value in dict(KINDS) else "free"

    @rx.event
    def set_scope(self, value: str):
        self.scope = value

    def _read(self, db, user_id, event_id) -> list[codes.CodeView]:
        return codes.list_codes(db=db, user_id=user_id, event_id=event_id, now=utcnow())

    def _take_builder(self, builder) -> None:
        self.ticket_types = type_choices(builder)

    def _show(self, views: list[codes.CodeView]) -> None:
        tz = self.timezone
        self.codes = [
            {"id": str(v.code.id), "code": v.code.code, "discount": codes.describe(v.code, v.currency),
             "scope": ", ".join(v.scope_names) or "All tickets",
             "window": " – ".join(x for x in (local_input(v.code.starts_at, tz).replace("T", " "),
                                               local_input(v.code.ends_at, tz).replace("T", " ")) if x) or "Always",
             "uses": f"{v.uses} / {v.code.max_uses}" if v.code.max_uses else str(v.uses),
             "orders": v.orders, "given": money(v.discount_minor, v.currency) if v.currency else "0",
             "revenue": money(v.revenue_minor, v.currency) if v.currency else "0", "active": v.code.is_active,
             "batch": v.code.batch or ""}
            for v in views
        ]

    def _terms(self, form: dict[str, Any], kind: str, code: str, currency: str) -> CodeTerms:
        value = codes.parse_value(kind, form_text(form, "value"), currency) if kind in ("percent", "fixed") else None
        scope = [uuid.UUID(self.scope)] if self.scope not in ("", "all") else None
        return CodeTerms(
            code=code, kind=kind, value=value, buy_quantity=form_whole(form, "buy", "Buy"),
            get_quantity=form_whole(form, "get", "Get"), ticket_type_ids=scope,
            starts_at=parse_local_input(form_text(form, "starts_at"), self.timezone, field="starts_at"),
            ends_at=parse_local_input(form_text(form, "ends_at"), self.timezone, field="ends_at"),
            max_uses=form_whole(form, "max_uses", "Total uses"),
            max_uses_per_customer=form_whole(form, "per_customer", "Uses per customer"),
            min_tickets=form_whole(form, "min_tickets", "Minimum tickets") or 1,
        )

    @rx.event
    async def create(self, form: dict[str, Any]):
        def work(db, user_id, event_id):
            currency = codes.event_currency(db, event_id)
            terms = self._terms(form, self.kind, form_text(form, "code"), currency)
            codes.create_code(db=db, user_id=user_id, event_id=event_id, terms=terms, now=utcnow())
            return self._read(db, user_id, event_id)

        try:
            views = await self._run(work)
        except ServiceError as exc:
            self.error, self.notice = exc.message, ""
            return
        if views is not None:
            self.error, self.notice = "", f"Code {form_text(form, 'code').upper()} created."
            self._show(views)

    @rx.event
    async def bulk(self, form: dict[str, Any]):
        def work(db, user_id, event_id):
            count = form_whole(form, "count", "How many") or 0
            currency = codes.event_currency(db, event_id)
            made = codes.bulk_create(db=db, user_id=user_id, event_id=event_id, prefix=form_text(form, "prefix"),
                                     count=count, terms=self._terms(form, self.bulk_kind, "", currency), now=utcnow())
            return made[0].batch, codes.list_codes(db=db, user_id=user_id, event_id=event_id, now=utcnow(),
                                                   batch=made[0].batch)

        try:
            done = await self._run(work)
        except ServiceError as exc:
            self.bulk_error = exc.message
            return
        if done is None:
            return
        batch, views = done
        self.bulk_error, self._last_batch = "", batch
        self.notice = f"{len(views)} single-use codes generated (batch {batch})."
        await self.refresh()
        return rx.download(data=codes.codes_csv(views), filename=f"promo-codes-{batch}.csv", mime_type="text/csv")

    @rx.event
    async def toggle_active(self, code_id: str, active: bool):
        """Pause or resume a code (uses already taken stay)."""
        try:
            target = uuid.UUID(str(code_id))
        except ValueError:
            return
        try:
            await self._run(lambda db, uid, eid: codes.update_code(db=db, user_id=uid, event_id=eid, code_id=target,
                                                                  changes={"is_active": bool(active)}, now=utcnow()))
        except ServiceError as exc:
            self.error = exc.message
            return
        await self.refresh()

    @rx.event
    async def export_csv(self):
        try:
            views = await self._run(self._read, readonly=True)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if views is not None:
            return rx.download(data=codes.codes_csv(views), filename="promo-codes.csv", mime_type="text/csv")
