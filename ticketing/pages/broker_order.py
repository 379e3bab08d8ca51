"""Broker console: one purchase order — its lines (editable while a draft), its header, delivery
line by line, unsold places given back, confirm and cancel."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, text_field
from ticketing.pages.broker import MUTED, _select, _table, broker_shell, choice
from ticketing.state.broker_order import METHODS, OrderDetailState

D = OrderDetailState
O = D.order


def _small_input(name: rx.Var[str], value: rx.Var[str], label: rx.Var[str], **props) -> rx.Component:
    return rx.input(name=name, default_value=value, aria_label=label, size="2", width="6.5rem", **props)


def _draft_lines() -> rx.Component:
    return _table(["Line", "Quantity", "Unit cost", "Notes", "Drop"], D.lines, lambda ln: [
        rx.table.cell(rx.text(ln["what"], weight="medium")),
        rx.table.cell(rx.cond(ln["kind"] == "places",
                              _small_input("qty_" + ln["id"], ln["quantity"], "Quantity of " + ln["what"],
                                           class_name="line-quantity"),
                              rx.text(ln["quantity"], " seat(s)"))),
        rx.table.cell(_small_input("cost_" + ln["id"], ln["unit_cost"], "Unit cost of " + ln["what"],
                                   class_name="line-cost")),
        rx.table.cell(rx.input(name="notes_" + ln["id"], default_value=ln["notes"], aria_label="Notes", size="2",
                               min_width="8rem")),
        rx.table.cell(rx.checkbox(name="remove_" + ln["id"], aria_label="Drop " + ln["what"])),
    ], "po-lines")


def _fixed_lines() -> rx.Component:
    return _table(["Line", "Quantity", "Unit cost", "Total", "Received", "Returned", "Notes"], D.lines, lambda ln: [
        rx.table.cell(rx.text(ln["what"], weight="medium")), rx.table.cell(ln["quantity"]),
        rx.table.cell(ln["cost"]), rx.table.cell(ln["total"]), rx.table.cell(ln["received"]),
        rx.table.cell(ln["returned"]), rx.table.cell(ln["notes"]),
    ], "po-lines")


def _header_fields() -> rx.Component:
    return rx.grid(
        text_field("Expected on", "expected_date", type="date", required=False, value=O["expected_date"]),
        choice("Fulfillment", "fulfillment_method", METHODS, name="fulfillment_method",
               default_value=O["fulfillment_method"]),
        text_field("Supplier's reference", "reference", required=False, value=O["reference"]),
        text_field("Fulfillment notes", "fulfillment_notes", required=False, value=O["fulfillment_notes"]),
        text_field("Notes", "notes", required=False, value=O["notes"]),
        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
    )


def _add_places() -> rx.Component:
    return rx.cond(D.ga_types.length() > 0, rx.vstack(
        rx.text("Add places of a general-admission ticket type", size="2", weight="medium"),
        rx.flex(
            rx.box(_select("add_type", "Ticket type", D.ga_types), min_width="12rem", flex="1"),
            rx.box(text_field("Quantity", "add_quantity", required=False), width="8rem"),
            rx.box(text_field("Unit cost", "add_cost", required=False, placeholder="25.00"), width="8rem"),
            gap="3", wrap="wrap", width="100%", align="end"),
        spacing="2", width="100%"))


def _edit_form() -> rx.Component:
    draft = O["status"] == "draft"
    return card(rx.form(rx.vstack(
        rx.heading(rx.cond(draft, "Lines and details", "Details"), size="4", as_="h2"),
        rx.cond(draft, rx.vstack(_draft_lines(), _add_places(), spacing="3", width="100%"), _fixed_lines()),
        _header_fields(),
        rx.hstack(
            rx.button("Save changes", type="submit", id="po-save"),
            rx.text("Saved on version ", D.version, "; someone else's change in between is refused, not lost.",
                    size="1", color=MUTED),
            align="center", spacing="3", wrap="wrap"),
        spacing="3", width="100%", align="start",
    ), on_submit=D.save, key=D.version.to(str)))


def _receive_form() -> rx.Component:
    return card(rx.form(rx.vstack(
        rx.heading("Record a delivery", size="4", as_="h2"),
        rx.text("Units the supplier delivered, line by line; the order is completed once every unit is received "
                "or returned.", size="2", color=MUTED),
        _table(["Line", "Outstanding", "Received now"], D.lines, lambda ln: [
            rx.table.cell(ln["what"]), rx.table.cell(ln["outstanding"]),
            rx.table.cell(rx.cond(ln["outstanding"] != "0",
                                  _small_input("receive_" + ln["id"], "", "Received now of " + ln["what"],
                                               placeholder="0", class_name="line-receive"),
                                  rx.text("—", color=MUTED))),
        ], "po-receive"),
        rx.button("Record delivery", type="submit", id="po-receive-submit"),
        spacing="3", width="100%", align="start",
    ), on_submit=D.receive, reset_on_submit=True))


def _return_form() -> rx.Component:
    places = rx.cond(D.return_types.length() > 0, rx.form(rx.vstack(
        rx.text("Unsold places go back to the supplier and never sell again; held or sold ones cannot.", size="2",
                color=MUTED),
        rx.flex(rx.box(_select("return_type", "Places", D.return_types), min_width="12rem", flex="1"),
                rx.box(text_field("How many", "return_quantity"), width="8rem"),
                gap="3", wrap="wrap", width="100%", align="end"),
        rx.button("Return places", type="submit", variant="soft", color_scheme="orange", id="po-return-submit"),
        spacing="3", width="100%", align="start"), on_submit=D.return_places, reset_on_submit=True))
    seats = rx.cond(D.seat_map_href != "", rx.text(
        "Seats go back from the seat map: select them there and choose Return to supplier. ",
        rx.link("Open the seat map", href=D.seat_map_href, id="po-seat-map"), size="2"))
    return card(rx.vstack(rx.heading("Return unsold inventory", size="4", as_="h2"), places, seats, spacing="3",
                          width="100%"))


def _summary() -> rx.Component:
    owning = (O["status"] == "confirmed") | (O["status"] == "partially_received") | (O["status"] == "completed")
    return rx.vstack(
        rx.hstack(
            rx.link("← Purchase orders", href="/manage/broker/orders", size="2"),
            spacing="2"),
        rx.hstack(
            rx.heading(O["number"], size="5", as_="h2", id="po-number"),
            rx.badge(O["status_label"], variant="soft", size="2", id="po-status"),
            rx.spacer(),
            rx.cond(O["status"] == "draft", rx.button("Confirm", on_click=D.confirm, id="po-confirm")),
            rx.cond((O["status"] == "draft") | (O["status"] == "confirmed"),
                    rx.button("Cancel order", variant="soft", color_scheme="red", on_click=D.cancel, id="po-cancel")),
            width="100%", align="center", wrap="wrap"),
        rx.text(O["supplier"], " · ", O["event"], " · cost ", O["total"], " · paid ", O["paid"], " · owed ",
                O["owed"], size="2", color=MUTED),
        rx.text("Drafted by ", O["drafted"],
                rx.cond(O["approved"] != "", rx.fragment(" · confirmed by ", O["approved"])),
                size="1", color=MUTED, id="po-who"),
        rx.cond(D.conflict, rx.callout(rx.hstack(
            rx.text("Someone changed this order while you were editing; your change was not saved."),
            rx.button("Reload the order", size="1", on_click=D.load, id="po-reload"), align="center", wrap="wrap"),
            icon="refresh-cw", color_scheme="amber", width="100%", id="po-conflict")),
        _edit_form(),
        rx.cond(owning, rx.grid(
            rx.cond(O["status"] != "completed", _receive_form()), _return_form(),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%")),
        spacing="4", width="100%",
    )


def purchase_order_page() -> rx.Component:
    return broker_shell("orders", D, rx.cond(
        D.missing, card(rx.text("No such purchase order.", id="po-missing")), _summary()))
