"""Console: ticket types as a matrix of sessions, with live places left and bottlenecks."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, field, input_, section
from ticketing.state.console.base import ConsoleLiveState
from ticketing.state.console.matrix import MatrixState

EE = MatrixState.edit_errors
AE = MatrixState.add_errors
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "JPY"]


def _cell(row: rx.Var[dict], col: rx.Var[dict]) -> rx.Component:
    tid, sid = row["id"].to(str), col["id"].to(str)
    included = row["included"].to(list[str]).contains(sid)
    # Only a bundle has a session that runs out first; a one-session ticket has nothing to compare.
    bottleneck = included & (row["included"].to(list[str]).length() > 1) & (
        ConsoleLiveState.bottlenecks[tid].to(str) == sid)
    left = ConsoleLiveState.places_left[sid].to(str)
    return rx.table.cell(
        rx.vstack(
            rx.checkbox(
                checked=included,
                on_change=MatrixState.toggle(tid, sid),
                aria_label=row["name"].to(str) + " includes " + col["name"].to(str),
                size="3",
            ),
            rx.cond(
                included,
                rx.hstack(
                    rx.cond(bottleneck, rx.icon("flag", size=12, color=rx.color("amber", 11))),
                    rx.text(left, " left", size="1", weight=rx.cond(bottleneck, "bold", "regular"),
                            class_name="cell-left"),
                    spacing="1", align="center",
                ),
                rx.text("—", size="1", color=rx.color("gray", 8)),
            ),
            align="center", spacing="1",
        ),
        class_name=rx.cond(bottleneck, "matrix-cell bottleneck", rx.cond(included, "matrix-cell on", "matrix-cell")),
        data_cell=tid + ":" + sid,
        title=rx.cond(bottleneck, "This session runs out first for this ticket", ""),
    )


def _row(row: rx.Var[dict]) -> rx.Component:
    tid = row["id"].to(str)
    error = MatrixState.row_errors[tid].to(str)
    return rx.fragment(
        rx.table.row(
            rx.table.row_header_cell(
                rx.vstack(
                    rx.hstack(
                        rx.text(row["name"], weight="bold", size="2"),
                        rx.cond(~row["active"].to(bool), rx.badge("off sale", color_scheme="gray", size="1")),
                        spacing="2", align="center", wrap="wrap",
                    ),
                    rx.text(row["price"], size="2", color=rx.color("indigo", 11), weight="medium"),
                    rx.text(rx.cond(row["quota"] != "", "Quota " + row["quota"].to(str), "No quota"), " · ",
                            row["window"], size="1", color=rx.color("gray", 11), class_name="hide-sm"),
                    rx.hstack(
                        rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="ghost",
                                       disabled=row["first"].to(bool), on_click=MatrixState.move(tid, -1),
                                       aria_label="Move up"),
                        rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="ghost",
                                       disabled=row["last"].to(bool), on_click=MatrixState.move(tid, 1),
                                       aria_label="Move down"),
                        rx.button(rx.icon("pencil", size=12), "Edit", size="1", variant="soft",
                                  on_click=MatrixState.open_edit(tid), class_name="edit-type"),
                        spacing="2", align="center",
                    ),
                    spacing="1", align="start",
                ),
                class_name="matrix-name",
            ),
            rx.foreach(MatrixState.columns, lambda c: _cell(row, c)),
            rx.table.cell(
                rx.text(ConsoleLiveState.type_left[tid].to(str), size="3", weight="bold", class_name="type-left"),
                rx.text("can sell", size="1", color=rx.color("gray", 11)),
                text_align="center",
            ),
            data_type=tid,
        ),
        rx.cond(error, rx.table.row(rx.table.cell(
            rx.callout(error, icon="triangle-alert", color_scheme="red", size="1", class_name="row-error"),
            col_span=MatrixState.columns.length() + 2,
        ))),
    )


def _column_header(c: rx.Var[dict]) -> rx.Component:
    sid = c["id"].to(str)
    return rx.table.column_header_cell(
        rx.vstack(
            rx.text(c["name"], size="1", weight="bold", class_name="col-name"),
            rx.text(c["when"], size="1", color=rx.color("gray", 11)),
            rx.cond(c["status"] == "cancelled", rx.badge("called off", color_scheme="red", size="1"),
                    rx.text(ConsoleLiveState.places_left[sid].to(str), "/", c["capacity"].to(str), " free", size="1")),
            spacing="0", align="center",
        ),
        class_name="matrix-col",
    )


def _matrix() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Ticket type", class_name="matrix-name"),
                rx.foreach(MatrixState.columns, _column_header),
                rx.table.column_header_cell("Left", text_align="center"),
            )),
            rx.table.body(rx.foreach(MatrixState.rows, _row)),
            size="1", variant="ghost", class_name="matrix",
        ),
        class_name="matrix-scroll", id="matrix",
    )


def _legend() -> rx.Component:
    return rx.hstack(
        rx.hstack(rx.checkbox(checked=True, disabled=True, size="1", aria_label="Example of a ticked box"),
                  rx.text("the ticket admits to that session",
                                                                              size="1"), spacing="1", align="center"),
        rx.hstack(rx.text("12 left", size="1", weight="bold"), rx.text("places left in the session, live", size="1"),
                  spacing="1", align="center"),
        rx.hstack(rx.icon("flag", size=12, color=rx.color("amber", 11)),
                  rx.text("the session that runs out first for that ticket", size="1"), spacing="1", align="center"),
        spacing="4", wrap="wrap", color=rx.color("gray", 11),
    )


def _edit_dialog() -> rx.Component:
    e = MatrixState.editing
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit ", e["name"].to(str)),
            rx.form(
                rx.vstack(
                    field("Name", input_("name", e["name"].to(str), required=True, id="t-name"), EE["name"],
                          html_for="t-name"),
                    field("Description", input_("description", e["description"].to(str), id="t-description"),
                          EE["description"], html_for="t-description"),
                    rx.grid(
                        field("Price (" + e["currency"].to(str) + ")",
                              input_("price", e["price_input"].to(str), inputmode="decimal", id="t-price"),
                              EE["price"], html_for="t-price"),
                        field("Quota", input_("max_quantity", e["quota"].to(str), type="number", min=1,
                                              placeholder="no limit", id="t-quota"),
                              EE["max_quantity"], hint="Most that can ever be sold", html_for="t-quota"),
                        columns="2", spacing="3", width="100%",
                    ),
                    rx.grid(
                        field("Sale starts", input_("sale_starts_at", e["sale_starts"].to(str), type="datetime-local",
                                                    id="t-sale-starts"), EE["sale_starts_at"],
                              hint="Empty: as soon as published", html_for="t-sale-starts"),
                        field("Sale ends", input_("sale_ends_at", e["sale_ends"].to(str), type="datetime-local",
                                                  id="t-sale-ends"), EE["sale_ends_at"],
                              hint="Empty: until sold out", html_for="t-sale-ends"),
                        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
                    ),
                    rx.grid(
                        field("Min per order", input_("min_per_order", e["min"].to(str), type="number", min=1,
                                                      id="t-min"), EE["min_per_order"], html_for="t-min"),
                        field("Max per order", input_("max_per_order", e["max"].to(str), type="number", min=1,
                                                      placeholder="event limit", id="t-max"),
                              EE["max_per_order"], html_for="t-max"),
                        columns="2", spacing="3", width="100%",
                    ),
                    rx.el.label(rx.hstack(rx.switch(name="is_active", default_checked=e["active"].to(bool),
                                                    id="t-active"),
                                          rx.text("On sale (off: hidden from customers)", size="2"),
                                          align="center", spacing="2")),
                    rx.cond(e["locked"] != "", rx.text(
                        "Tickets of this type were ordered: its sessions and currency are fixed now.", size="1",
                        color=rx.color("gray", 11))),
                    rx.cond(EE["form"], rx.callout(EE["form"], color_scheme="red", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Save", type="submit", id="save-type"),
                        justify="end", spacing="2", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=MatrixState.save_edit,
                reset_on_submit=False,
            ),
            max_width="34rem",
        ),
        open=MatrixState.edit_open,
        on_open_change=MatrixState.set_edit_open,
    )


def _add_form() -> rx.Component:
    def session_box(c: rx.Var[dict]) -> rx.Component:
        return rx.el.label(rx.hstack(rx.checkbox(name="s_" + c["id"].to(str)), rx.text(c["name"], size="2"),
                                     align="center", spacing="2"))

    return rx.form(
        rx.vstack(
            rx.grid(
                field("Name", input_("name", required=True, placeholder="Full Series Pass", id="n-name"), AE["name"],
                      html_for="n-name"),
                field(rx.cond(MatrixState.currency_locked, "Price (" + MatrixState.currency + ")", "Price"),
                      rx.hstack(
                          input_("price", inputmode="decimal", placeholder="150.00", required=True, id="n-price"),
                          rx.cond(~MatrixState.currency_locked,
                                  rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], name="currency",
                                               default_value="EUR", class_name="native-select", width="6rem",
                                               aria_label="Currency")),
                          spacing="2", width="100%",
                      ),
                      rx.cond(AE["price"], AE["price"], AE["currency"]), html_for="n-price"),
                field("Quota", input_("max_quantity", type="number", min=1, placeholder="no limit", id="n-quota"),
                      AE["max_quantity"], html_for="n-quota"),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            rx.text("Admits to", class_name="field-label"),
            rx.flex(rx.foreach(MatrixState.columns, session_box), wrap="wrap", gap="0.5rem 1rem"),
            rx.cond(AE["session_ids"], rx.text(AE["session_ids"], color=rx.color("red", 11), size="1", role="alert")),
            rx.cond(AE["form"], rx.callout(AE["form"], color_scheme="red", width="100%")),
            rx.button(rx.icon("plus", size=16), "Add ticket type", type="submit", loading=MatrixState.busy,
                      id="add-type"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=MatrixState.add_type,
        reset_on_submit=False,
        key=MatrixState.form_key,
        id="add-type-form",
    )


def matrix_page() -> rx.Component:
    no_sessions = rx.callout("Add sessions first: a ticket type is a bundle of sessions.", icon="info",
                             width="100%")
    return console_page(
        "tickets",
        section(
            "Ticket types × sessions",
            _legend(),
            rx.cond(
                MatrixState.rows.length() > 0,
                _matrix(),
                rx.text("No ticket types yet. Add one below: a day pass ticks one session, a series pass all of "
                        "them.", size="2", color=rx.color("gray", 11), id="types-empty"),
            ),
            hint="Tick the sessions each ticket admits to. Selling one ticket takes a place in every ticked session.",
        ),
        section("Add a ticket type", rx.cond(MatrixState.columns.length() > 0, _add_form(), no_sessions)),
        _edit_dialog(),
    )
