"""The event page's basket, kept in the browser: a client-side var ({ticket type id: quantity})
and what the page shows of it, computed by assets/basket.js. "+" and "−" change it with no
server event; "Reserve tickets" holds it through the JSON API (components/hold_button.py)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.utils.imports import ImportVar
from reflex.vars import FunctionStringVar, VarData

from ticketing.state.basket import basket

_LIBRARY = rx.asset("basket.js").importable_path


def _js(name: str) -> FunctionStringVar:
    return FunctionStringVar.create(name, _var_data=VarData(imports={_LIBRARY: [ImportVar(tag=name)]}))


@dataclass(frozen=True)
class BasketView:
    """The basket against what the page has (`page`: a var of {ticket_types, figures,
    presale_open, type_max, max_per_order}, as assets/basket.js reads it)."""

    page: rx.Var
    discount_minor: rx.Var  # what the server quoted for a promo code on this basket
    money_form: rx.Var  # ticketing/formatting.py money_form of the event's currency

    def shown(self) -> rx.Var[dict]:
        """The basket within what is left and the limits: shown, counted and sent as it is."""
        return _js("shownBasket").call(basket.value, self.page).to(dict)

    def quantity(self, type_id: rx.Var[str]) -> rx.Var[int]:
        return self.shown().get(type_id, 0).to(int)

    def count(self) -> rx.Var[int]:
        return _js("basketCount").call(self.shown()).to(int)

    def total(self) -> rx.Var[str]:
        return _js("basketTotal").call(self.shown(), self.page, self.discount_minor, self.money_form).to(str)

    def full(self) -> rx.Var[bool]:
        """The order's maximum is reached."""
        return self.count() >= self.page.to(dict)["max_per_order"].to(int)

    def can_add(self, type_id: rx.Var[str]) -> rx.Var[bool]:
        """"+" on this type would add one (its limits, the order's maximum, its sessions' places)."""
        return _js("canAdd").call(basket.value, self.page, type_id).to(bool)

    def change(self, type_id: rx.Var[str], delta: int) -> rx.Var:
        """An on_click that adds (1) or takes away (-1) one of `type_id`, in the browser only."""
        return basket.set_value(_js("changedBasket").call(basket.value, self.page, type_id, delta))
