"""Broker console: retail prices. Per ticket type (or the price levels selling it) a fixed price
or a markup on cost, percent or fixed, with a rounding rule; the server previews the final price
as the rule is typed and applies it on save."""

from __future__ import annotations

import uuid
from decimal import Decimal

import reflex as rx

from ticketing.formatting import money
from ticketing.models.base import utcnow
from ticketing.services.broker import price_list, pricing
from ticketing.services.errors import ServiceError
from ticketing.services.money import from_minor
from ticketing.state.broker import BrokerState

MODE_LABELS = {"markup_percent": "Markup, percent", "markup_fixed": "Markup, fixed amount", "fixed": "Fixed price"}
ROUNDING_LABELS = {"none": "No rounding", "whole": "Up to a whole unit", "ninety_nine": "Up to .99",
                   "five": "Up to a multiple of 5"}


def _amount_text(mode: str, value: int, currency: str) -> str:
    """A stored rule value as the user types it: percent (from basis points) or an amount."""
    if mode == "markup_percent":
        return f"{(Decimal(value) / 100).normalize():f}"
    return str(from_minor(value, currency))


def rule_text(mode: str | None, value: int, rounding: str, currency: str) -> str:
    if mode is None:
        return "The ticket type's own price"
    what = {"fixed": f"Fixed {money(value, currency)}",
            "markup_percent": f"Cost + {_amount_text(mode, value, currency)} %",
            "markup_fixed": f"Cost + {money(value, currency)}"}[mode]
    return what if rounding == "none" else f"{what}, {ROUNDING_LABELS[rounding].lower()}"


def _row(p: price_list.PricedType) -> dict[str, str]:
    rule, cur = p.price.rule, p.price.currency
    basis = p.price.cost_basis_minor
    return {"id": str(p.ticket_type.id), "event_id": str(p.event_id), "event": p.event_title,
            "name": p.ticket_type.name, "levels": ", ".join(p.levels) or "General admission",
            "basis": "—" if basis is None else money(basis, cur), "basis_minor": "" if basis is None else str(basis),
            "currency": cur, "price": money(p.price.price_minor, cur),
            "rule": rule_text(rule.mode if rule else None, rule.value if rule else 0,
                              rule.rounding if rule else "none", cur),
            "mode": rule.mode if rule else "markup_percent",
            "amount": _amount_text(rule.mode, rule.value, cur) if rule else "",
            "rounding": rule.rounding if rule else "none"}


class PricingState(BrokerState):
    rows: list[dict[str, str]] = []
    selected: dict[str, str] = {}  # the ticket type whose rule is in the form
    mode: str = "markup_percent"
    amount: str = ""
    rounding: str = "none"
    preview: str = ""  # the final price the rule in the form gives, computed on the server

    @rx.event
    async def load(self):
        found = await self._run(lambda db, uid, org: price_list.retail_price_list(db=db, user_id=uid,
                                                                                organization_id=org), readonly=True)
        if found is not None:
            self.error = ""
            self.rows = [_row(p) for p in found]
            if self.selected:
                self.selected = next((r for r in self.rows if r["id"] == self.selected["id"]), {})

    @rx.event
    def choose(self, type_id: str):
        """Put a listed ticket type's rule in the form (saving re-checks everything)."""
        self.selected = next((r for r in self.rows if r["id"] == type_id), {})
        if self.selected:
            self.mode, self.amount = self.selected["mode"], self.selected["amount"]
            self.rounding = self.selected["rounding"]
            self._quote()

    @rx.event
    def set_mode(self, value: str):
        self.mode = value
        self._quote()

    @rx.event
    def set_amount(self, value: str):
        self.amount = value
        self._quote()

    @rx.event
    def set_rounding(self, value: str):
        self.rounding = value
        self._quote()

    def _quote(self) -> None:
        if not self.selected or not self.amount.strip():
            self.preview = ""
            return
        basis = self.selected["basis_minor"]
        try:
            price = pricing.quote_retail(cost_minor=int(basis) if basis else None, currency=self.selected["currency"],
                                         mode=self.mode, amount=self.amount, rounding=self.rounding)
        except ServiceError as exc:
            self.preview = exc.message
            return
        self.preview = ("Nothing of it is owned yet: the price follows once inventory is bought." if price is None
                        else f"Customers will pay {money(price, self.selected['currency'])}")

    @rx.event
    async def save(self):
        if not self.selected:
            self.error = "Choose a ticket type first."
            return None
        try:
            event_id, type_id = uuid.UUID(self.selected["event_id"]), uuid.UUID(self.selected["id"])
        except ValueError:
            return None
        mode, amount, rounding = self.mode, self.amount, self.rounding
        if mode not in pricing.AMOUNT_FIELDS:
            self.error = "Choose how the price is set."
            return None
        done = await self._run(lambda db, uid, org: pricing.set_retail_rule(
            db=db, user_id=uid, event_id=event_id, ticket_type_id=type_id, now=utcnow(), rounding=rounding,
            **{pricing.AMOUNT_FIELDS[mode]: amount}))
        if done is None:
            return None
        self.error = ""
        self.message = f"{self.selected['name']}: customers now pay {money(done.price_minor, done.currency)}."
        return PricingState.load
