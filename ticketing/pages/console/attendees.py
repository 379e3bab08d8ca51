"""Console: attendees per event or session — search, export, resend, cancel and refund."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, section
from ticketing.state.console.attendees import AttendeesState

PAYMENT_COLORS = {"Paid": "green", "Free": "green", "Awaiting payment": "amber", "Partly refunded": "orange",
                  "Refunded": "gray", "Not paid": "gray", "Refund failed": "red", "No payment record": "red"}
STATUS_COLORS = {"valid": "green", "pending": "amber", "cancelled": "red"}


def _badge(value: rx.Var[str], label: rx.Var[str], colors: dict[str, str], **props) -> rx.Component:
    return rx.match(value, *[(k, rx.badge(label, color_scheme=c, variant="soft", **props)) for k, c in colors.items()],
                    rx.badge(label, variant="soft", **props))


def _filters() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(placeholder="All sessions", aria_label="Session", id="session-filter"),
            rx.select.content(
                rx.select.item("All sessions", value="all"),
                rx.foreach(AttendeesState.sessions, lambda s: rx.select.item(s["name"], value=s["id"])),
            ),
            value=rx.cond(AttendeesState.session_filter == "", "all", AttendeesState.session_filter),
            on_change=AttendeesState.set_session,
        ),
        rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder="Name, email, order number…",
                 default_value=AttendeesState.search, on_change=AttendeesState.set_search.debounce(350),
                 id="attendee-search", aria_label="Search attendees", min_width="14rem"),
        rx.segmented_control.root(
            rx.segmented_control.item("Current", value="current"),
            rx.segmented_control.item("Cancelled", value="cancelled"),
            rx.segmented_control.item("All", value="all"),
            value=AttendeesState.show,
            on_change=AttendeesState.set_show,
            id="show-filter",
        ),
        rx.spacer(),
        rx.button(rx.icon("download", size=16), "Export CSV", variant="soft", on_click=AttendeesState.export_csv,
                  id="export-csv"),
        gap="0.6rem", wrap="wrap", align="center", width="100%",
    )


def _actions(r: rx.Var[dict]) -> rx.Component:
    live = r["status"] != "cancelled"
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("ellipsis", size=16), variant="ghost", aria_label="Actions",
                                       class_name="attendee-actions")),
        rx.menu.content(
            rx.menu.item("Send ticket again", on_click=AttendeesState.resend_ticket(r["ticket_id"]), disabled=~live),
            rx.menu.item("Send all tickets of the order", on_click=AttendeesState.resend_order(r["order_id"])),
            rx.menu.separator(),
            rx.menu.item("Cancel this ticket and refund", color="red", disabled=~live,
                         on_click=AttendeesState.ask_cancel("ticket", r["ticket_id"])),
            rx.menu.item("Cancel the whole order and refund", color="red",
                         on_click=AttendeesState.ask_cancel("order", r["order_id"])),
        ),
    )


def _row(r: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(r["name"], weight="medium"),
            rx.text(r["email"], size="1", color=rx.color("gray", 11)),
            rx.text(r["type"], size="1", color=rx.color("indigo", 11)),
            # On a phone the payment and door columns are hidden: say both under the name.
            rx.text(r["payment"], " · ", r["checked_in"], size="1", color=rx.color("gray", 11), class_name="only-sm"),
        ),
        rx.table.cell(rx.text(r["order"], size="2", white_space="nowrap"),
                      rx.text(r["buyer"], size="1", color=rx.color("gray", 11)), class_name="hide-sm"),
        rx.table.cell(_badge(r["payment"], r["payment"], PAYMENT_COLORS), class_name="hide-sm"),
        rx.table.cell(rx.text(r["checked_in"], size="1"), class_name="hide-sm"),
        rx.table.cell(_badge(r["status"], r["status_label"], STATUS_COLORS)),
        rx.table.cell(_actions(r)),
        data_ticket=r["ticket_id"],
        align="center",
    )


def _confirm_dialog() -> rx.Component:
    c = AttendeesState.confirming
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(c["title"].to(str)),
            rx.alert_dialog.description(c["body"].to(str), " The buyer can see it in their tickets.", size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Cancel and refund", color_scheme="red",
                                                 on_click=AttendeesState.confirm_cancel, id="confirm-cancel")),
                spacing="3", justify="end", margin_top="1rem",
            ),
            max_width="28rem",
        ),
        open=c.length() > 0,
        on_open_change=AttendeesState.set_confirm_open,
    )


def attendees_page() -> rx.Component:
    table = rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("Attendee"),
            rx.table.column_header_cell("Order", class_name="hide-sm"),
            rx.table.column_header_cell("Payment", class_name="hide-sm"),
            rx.table.column_header_cell("Checked in", class_name="hide-sm"),
            rx.table.column_header_cell("Ticket"),
            rx.table.column_header_cell(rx.el.span("Actions", class_name="sr-only")),
        )),
        rx.table.body(rx.foreach(AttendeesState.rows, _row)),
        size="1", width="100%", id="attendee-table",
    )
    return console_page(
        "attendees",
        section(
            "Attendees",
            _filters(),
            rx.cond(AttendeesState.error != "", rx.callout(AttendeesState.error, color_scheme="red")),
            rx.text(rx.text.strong(AttendeesState.total.to(str)), " tickets",
                    rx.cond(AttendeesState.total > AttendeesState.rows.length(),
                            rx.text.span(" (showing the first ", AttendeesState.rows.length().to(str),
                                         ": search to narrow down, or export them all)")),
                    size="2", color=rx.color("gray", 11), id="attendee-count"),
            rx.cond(AttendeesState.rows.length() > 0, table,
                    rx.text("Nobody here yet.", size="2", color=rx.color("gray", 11))),
        ),
        _confirm_dialog(),
    )
