"""Console: promo codes — create, bulk single-use codes (CSV), pause, and what each code did."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, live_refresh, section
from ticketing.components.forms import form_error
from ticketing.state.console.promotions import KINDS, PromoCodesState

S = PromoCodesState


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _kind_fields(kind: rx.Var[str]) -> rx.Component:
    """The value of the chosen kind: a percentage, an amount, or buy X get Y."""
    return rx.match(
        kind,
        ("percent", _field("Percent off", rx.input(name="value", placeholder="20", inputmode="numeric",
                                                   aria_label="Percent off"))),
        ("fixed", _field("Amount off each ticket", rx.input(name="value", placeholder="5.00", inputmode="decimal",
                                                            aria_label="Amount off"))),
        ("buy_x_get_y", rx.hstack(_field("Buy", rx.input(name="buy", placeholder="2", aria_label="Buy")),
                                  _field("Get free", rx.input(name="get", placeholder="1", aria_label="Get free")),
                                  width="100%")),
        rx.text("Every ticket in scope is free.", size="2", color=rx.color("gray", 11)),
    )


def _kind_select(value: rx.Var[str], on_change, id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Kind of discount", id=id, width="100%"),
        rx.select.content(*[rx.select.item(label, value=key) for key, label in KINDS]),
        value=value, on_change=on_change,
    )


def _scope_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Applies to", id="promo-scope", width="100%"),
        rx.select.content(rx.select.item("All ticket types", value="all"),
                          rx.foreach(S.ticket_types, lambda t: rx.select.item(t["name"], value=t["id"]))),
        value=S.scope, on_change=S.set_scope,
    )


def _limits() -> rx.Component:
    return rx.grid(
        _field("Valid from", rx.input(name="starts_at", type="datetime-local", aria_label="Valid from")),
        _field("Valid until", rx.input(name="ends_at", type="datetime-local", aria_label="Valid until")),
        _field("Total uses", rx.input(name="max_uses", placeholder="No limit", inputmode="numeric",
                                      aria_label="Total uses")),
        _field("Uses per customer", rx.input(name="per_customer", placeholder="No limit", inputmode="numeric",
                                             aria_label="Uses per customer")),
        _field("Minimum tickets", rx.input(name="min_tickets", placeholder="1", inputmode="numeric",
                                           aria_label="Minimum tickets")),
        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
    )


def _create() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _field("Code", rx.input(name="code", placeholder="SPRING20", id="promo-code-field", required=True,
                                        aria_label="Code", text_transform="uppercase")),
                _field("Discount", _kind_select(S.kind, S.set_kind, "promo-kind")),
                _field("Applies to", _scope_select()),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            _kind_fields(S.kind),
            _limits(),
            form_error(S.error),
            rx.button(rx.icon("plus", size=16), "Create code", type="submit", id="promo-create"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.create, reset_on_submit=True, width="100%",
    )


def _bulk() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _field("Prefix", rx.input(name="prefix", placeholder="VIP", required=True, aria_label="Prefix")),
                _field("How many", rx.input(name="count", placeholder="50", inputmode="numeric", required=True,
                                            aria_label="How many")),
                _field("Discount", _kind_select(S.bulk_kind, S.set_bulk_kind, "bulk-kind")),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            _kind_fields(S.bulk_kind),
            form_error(S.bulk_error),
            rx.button(rx.icon("files", size=16), "Generate and download CSV", type="submit", variant="soft",
                      id="promo-bulk"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.bulk, width="100%",
    )


def _row(c: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(c["code"], weight="bold", class_name="promo-code"),
                      rx.cond(c["batch"] != "", rx.text(c["batch"], size="1", color=rx.color("gray", 11)))),
        rx.table.cell(rx.text(c["discount"], size="2"), rx.text(c["scope"], size="1", color=rx.color("gray", 11))),
        rx.table.cell(c["window"], class_name="hide-sm"),
        rx.table.cell(c["uses"], class_name="promo-uses"),
        rx.table.cell(c["given"], class_name="promo-given"),
        rx.table.cell(c["revenue"], class_name="promo-revenue"),
        rx.table.cell(rx.switch(checked=c["active"].to(bool), on_change=lambda v: S.toggle_active(c["id"], v),
                                aria_label="Active", class_name="promo-active")),
        class_name="promo-row",
    )


def _table() -> rx.Component:
    return rx.cond(
        S.codes.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, class_name=c) for h, c in (
                    ("Code", ""), ("Discount", ""), ("Valid", "hide-sm"), ("Uses", ""), ("Discount given", ""),
                    ("Revenue", ""), ("Active", ""))])),
                rx.table.body(rx.foreach(S.codes, _row)),
                size="1", width="100%", id="promo-table",
            ),
            width="100%", overflow_x="auto",
        ),
        rx.text("No codes yet.", size="2", color=rx.color("gray", 11)),
    )


def promotions_page() -> rx.Component:
    return console_page(
        "promotions",
        rx.cond(S.notice != "", rx.callout(S.notice, icon="circle-check", color_scheme="green", id="promo-notice")),
        section("Promo codes", _table(),
                rx.button(rx.icon("download", size=16), "Export CSV", variant="soft", on_click=S.export_csv,
                          id="promo-export"),
                hint="Uses count live holds, unpaid orders and paid ones; discount given and revenue count the "
                     "paid tickets not cancelled."),
        rx.grid(
            section("New code", _create()),
            section("Single-use codes in bulk", _bulk(), hint="Each code works once; the CSV downloads at once."),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
        ),
        live_refresh(S.follow_live),
    )
