"""Broker console: Retail prices — per ticket type a fixed price or a markup on cost with a
rounding rule, the final price previewed by the server as the rule is typed."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.pages.broker import MUTED, _table, broker_shell, choice
from ticketing.state.broker_pricing import MODE_LABELS, ROUNDING_LABELS, PricingState

P = PricingState


def _rule_form() -> rx.Component:
    S = P.selected
    return card(rx.cond(S.contains("id"), rx.vstack(
        rx.heading("Price of " + S["name"].to(str), size="4", as_="h2", id="pricing-form-title"),
        rx.text(S["event"], " · ", S["levels"], " · cost basis ", S["basis"], size="2", color=MUTED),
        choice("How the price is set", "mode", MODE_LABELS, value=P.mode, on_change=P.set_mode),
        rx.vstack(
            rx.el.label(rx.cond(P.mode == "markup_percent", "Markup (%)",
                                rx.cond(P.mode == "markup_fixed", "Markup (amount)", "Price")),
                        html_for="field-amount", class_name="field-label"),
            rx.input(id="field-amount", value=P.amount, on_change=P.set_amount, debounce_timeout=300, size="3",
                     width="100%", placeholder=rx.cond(P.mode == "markup_percent", "25", "10.00")),
            spacing="1", width="100%"),
        choice("Rounding", "rounding", ROUNDING_LABELS, value=P.rounding, on_change=P.set_rounding),
        rx.cond(P.preview != "", rx.text(P.preview, size="3", weight="medium", id="pricing-preview")),
        rx.text("The cost basis is the highest unit cost of what is owned and not returned, so no unit sells below "
                "its own cost plus the markup. Held and sold tickets keep the price they were held at.", size="1",
                color=MUTED),
        rx.button("Save price rule", on_click=P.save, id="pricing-save"),
        spacing="3", width="100%", align="start"),
        rx.text("Choose a ticket type to set its price.", size="2", color=MUTED)))


def pricing_page() -> rx.Component:
    table = _table(["Event", "Ticket type", "Sold as", "Cost basis", "Rule", "Customers pay", ""], P.rows, lambda r: [
        rx.table.cell(r["event"]), rx.table.cell(rx.text(r["name"], weight="medium")), rx.table.cell(r["levels"]),
        rx.table.cell(r["basis"]), rx.table.cell(r["rule"], min_width="10rem"),
        rx.table.cell(rx.text(r["price"], weight="bold")),
        rx.table.cell(rx.button("Set price", size="1", variant="soft", on_click=P.choose(r["id"]),
                                class_name="pricing-choose", white_space="nowrap"))], "retail-prices")
    return broker_shell("pricing", P, card(rx.vstack(rx.heading("Retail prices", size="4", as_="h2"), table,
                                                     width="100%")),
                        rx.box(_rule_form(), max_width="40rem", width="100%"))
