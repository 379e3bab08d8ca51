"""Broker console of the current organization: Suppliers, Purchase orders, Inventory (and Profit
in broker_profit.py), behind one tab bar."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, text_field
from ticketing.components.layout import guarded, page_shell
from ticketing.state.broker import KINDS, InventoryState, OrdersState, SuppliersState

TABS = [("suppliers", "Suppliers"), ("orders", "Purchase orders"), ("inventory", "Inventory"),
        ("pricing", "Retail prices"), ("profit", "Profit")]
MUTED = rx.color("gray", 11)


def broker_shell(active: str, state: type, *children: rx.Component) -> rx.Component:
    tabs = rx.hstack(*[
        rx.link(rx.button(label, size="2", variant="solid" if key == active else "soft",
                          color_scheme="indigo" if key == active else "gray"),
                href=f"/manage/broker/{key}", id=f"broker-tab-{key}")
        for key, label in TABS], spacing="2", wrap="wrap")
    return page_shell(guarded(rx.vstack(
        rx.heading("Broker", size="6", as_="h1"),
        rx.text("Buy seats and places from suppliers, sell what you own, see what it earns.", color=MUTED),
        tabs,
        rx.cond(state.error != "", rx.callout(state.error, icon="circle-alert", color_scheme="red", width="100%",
                                              role="alert", id="broker-error")),
        rx.cond(state.message != "", rx.callout(state.message, icon="check", color_scheme="green", width="100%",
                                                id="broker-message")),
        *children,
        spacing="4", width="100%",
    )))  # the header's width, as every other page


def _table(headers: list[str], rows: rx.Var, cells, table_id: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*cells(r)))),
        size="1", width="100%", id=table_id,
    ), width="100%", overflow_x="auto")


def choice(label: str, field: str, options: dict[str, str], **props) -> rx.Component:
    """A labelled select of fixed options {value: text}; `props` go to the select (name and
    default_value in a form, or value and on_change)."""
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{field}", class_name="field-label"),
        rx.select.root(rx.select.trigger(id=f"field-{field}", width="100%"),
                       rx.select.content(*[rx.select.item(text, value=key) for key, text in options.items()]),
                       size="3", **props),
        spacing="1", width="100%")


def _select(name: str, label: str, options: rx.Var, value_key: str = "id", text_key: str = "name") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}", class_name="field-label"),
        rx.select.root(rx.select.trigger(id=f"field-{name}", width="100%", placeholder="Choose…"),
                       rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[text_key],
                                                                                      value=o[value_key]))),
                       name=name, size="3"),
        spacing="1", width="100%",
    )


def _supplier_form() -> rx.Component:
    S, E = SuppliersState, SuppliersState.editing
    editing = E.contains("id")
    return card(rx.form(rx.vstack(
        rx.heading(rx.cond(editing, "Edit " + E["name"].to(str), "New supplier"), size="4", as_="h2",
                   id="supplier-form-title"),
        text_field("Name", "name", value=E["name"].to(str)),
        choice("Kind", "kind", KINDS, name="kind",
               default_value=rx.cond(editing, E["kind_value"].to(str), "venue_owner")),
        text_field("Contact person", "contact_name", required=False, value=E["contact_name"].to(str)),
        rx.hstack(text_field("Email", "email", type="email", required=False, value=E["email"].to(str)),
                  text_field("Phone", "phone", required=False, value=E["phone"].to(str)), width="100%"),
        rx.hstack(text_field("Payment terms (days)", "payment_terms_days", required=False, placeholder="30",
                             value=E["payment_terms_days"].to(str)),
                  text_field("Credit limit", "credit_limit", required=False, placeholder="e.g. 5000.00",
                             value=E["credit_limit"].to(str)), width="100%"),
        text_field("Notes", "notes", required=False, value=E["notes"].to(str)),
        rx.hstack(
            rx.button(rx.cond(editing, "Save changes", "Add supplier"), type="submit", id="add-supplier"),
            rx.cond(editing, rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                       on_click=S.stop_editing, id="cancel-supplier-edit")),
            spacing="2"),
        spacing="3", width="100%", align="start",
    ), on_submit=S.save, reset_on_submit=True, key=E["id"].to(str)))


def suppliers_page() -> rx.Component:
    S = SuppliersState
    table = _table(["Supplier", "Kind", "Email", "Terms", "Credit limit", "Active", ""], S.suppliers, lambda s: [
        rx.table.cell(rx.text(s["name"], weight="medium")), rx.table.cell(s["kind"]), rx.table.cell(s["email"]),
        rx.table.cell(s["terms"]), rx.table.cell(s["limit"]), rx.table.cell(s["active"]),
        rx.table.cell(rx.hstack(
            rx.button("Edit", size="1", variant="soft", on_click=S.edit(s["id"]), class_name="supplier-edit"),
            rx.cond(s["active"] == "yes",
                    rx.button("Deactivate", size="1", variant="soft", color_scheme="red",
                              on_click=S.deactivate(s["id"])),
                    rx.button("Reactivate", size="1", variant="soft", on_click=S.reactivate(s["id"]))),
            spacing="1", white_space="nowrap"))],
        "suppliers")
    return broker_shell("suppliers", S, card(table), rx.box(_supplier_form(), max_width="40rem", width="100%"))


def _order_actions(o: rx.Var[dict]) -> rx.Component:
    O = OrdersState
    return rx.hstack(
        rx.cond(o["status"] == "draft", rx.button("Confirm", size="1", on_click=O.confirm(o["id"], o["version"]),
                                                  class_name="po-confirm")),
        rx.cond((o["status"] == "confirmed") | (o["status"] == "partially_received"),
                rx.button("Received", size="1", variant="soft", on_click=O.receive(o["id"]))),
        rx.cond((o["status"] == "draft") | (o["status"] == "confirmed"),
                rx.button("Cancel", size="1", variant="soft", color_scheme="red", on_click=O.cancel(o["id"]))),
        spacing="1", wrap="wrap",
    )


def orders_page() -> rx.Component:
    O = OrdersState
    table = _table(["Number", "Supplier", "Event", "Units", "Status", "Cost", "Paid", "Owed", ""], O.orders, lambda o: [
        rx.table.cell(rx.link(o["number"], href="/manage/broker/orders/" + o["id"], weight="medium",
                              class_name="po-open")), rx.table.cell(o["supplier"]),
        rx.table.cell(o["event"]), rx.table.cell(o["units"]),
        rx.table.cell(rx.badge(o["status"], variant="soft")), rx.table.cell(o["total"]),
        rx.table.cell(o["paid"], " ", rx.badge(o["payment"], size="1", variant="outline")), rx.table.cell(o["owed"]),
        rx.table.cell(_order_actions(o))], "purchase-orders")
    from_map = card(rx.vstack(
        rx.heading("Buy seats from the seat map", size="4", as_="h2"),
        rx.text("Open a seat map, select seats (Shift+drag selects a block or a section) and create the purchase "
                "order from the panel beside the map.", size="2", color=MUTED),
        rx.cond(O.seat_maps.length() > 0,
                rx.flex(rx.foreach(O.seat_maps, lambda m: rx.link(rx.button(rx.icon("armchair", size=14), m["name"],
                                                                             size="2", variant="soft"),
                                                                   href=m["href"], class_name="broker-seat-map")),
                        wrap="wrap", gap="2"),
                rx.text("No seated event in broker mode yet.", size="2", color=MUTED)),
        spacing="3", width="100%", align="start"))
    by_quantity = card(rx.form(rx.vstack(
        rx.heading("Buy places by quantity", size="4", as_="h2"),
        _select("supplier_id", "Supplier", O.supplier_options),
        _select("type_id", "General-admission ticket type", O.ga_types),
        rx.hstack(text_field("Quantity", "quantity"), text_field("Unit cost", "unit_cost", placeholder="25.00"),
                  width="100%"),
        rx.button("Draft purchase order", type="submit", id="draft-by-quantity"),
        spacing="3", width="100%", align="start"), on_submit=O.create_quantity))
    pay = card(rx.form(rx.vstack(
        rx.heading("Pay a supplier", size="4", as_="h2"),
        _select("po_id", "Purchase order", O.orders, text_key="number"),
        rx.hstack(text_field("Amount", "amount", placeholder="100.00"),
                  text_field("Reference", "reference", required=False), width="100%"),
        rx.button("Record payment", type="submit", variant="soft"),
        spacing="3", width="100%", align="start"), on_submit=O.pay, reset_on_submit=True))
    enable = card(rx.form(rx.vstack(
        rx.heading("Broker mode", size="4", as_="h2"),
        rx.text("An event in broker mode sells only seats and places bought through purchase orders. Choose it "
                "before the first sale.", size="2", color=MUTED),
        _select("event_id", "Event", O.other_events, text_key="title"),
        rx.button("Put in broker mode", type="submit", variant="soft", id="enable-broker"),
        spacing="3", width="100%", align="start"), on_submit=O.enable))
    return broker_shell("orders", O, card(table), rx.grid(from_map, by_quantity, pay, enable,
                                                          columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                                                          width="100%"))


def inventory_page() -> rx.Component:
    inv = InventoryState
    maps = card(rx.vstack(
        rx.heading("Seat maps", size="4", as_="h2"),
        rx.text("Owned seats show in their price level's colour; held, reserved, sold, not owned and returned seats "
                "each have their own colour, listed with counts under the map.", size="2", color=MUTED),
        rx.flex(rx.foreach(inv.seat_maps, lambda m: rx.link(rx.button(rx.icon("map", size=14), m["name"], size="2",
                                                                      variant="soft"), href=m["href"])),
                wrap="wrap", gap="2"),
        spacing="3", width="100%", align="start"))
    table = _table(["Event", "Supplier", "Order", "Kind", "Unsold", "Unit cost", "Value", "Age"], inv.rows, lambda r: [
        rx.table.cell(r["event"]), rx.table.cell(r["supplier"]), rx.table.cell(r["number"]), rx.table.cell(r["kind"]),
        rx.table.cell(r["unsold"]), rx.table.cell(r["cost"]), rx.table.cell(r["value"]), rx.table.cell(r["age"])],
        "unsold-inventory")
    return broker_shell("inventory", inv, maps, card(rx.vstack(rx.heading("Unsold inventory", size="4", as_="h2"),
                                                               table, width="100%")))
