"""Console: waiting lists — the entries per ticket type in line, offers by hand, closing a list."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, live_refresh, section
from ticketing.state.console.waitlist import WaitlistConsoleState

S = WaitlistConsoleState
STATE_COLORS = {"waiting": "indigo", "offered": "green", "bought": "gray", "lapsed": "amber", "left": "gray",
                "closed": "gray"}


def _list_row(t: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(t["name"], weight="bold")),
        rx.table.cell(t["waiting"].to(str), class_name="wl-waiting"),
        rx.table.cell(t["offered"].to(str)),
        rx.table.cell(t["bought"].to(str), class_name="hide-sm"),
        rx.table.cell(rx.cond(
            t["closed"].to(bool),
            rx.button("Reopen", size="1", variant="soft", on_click=S.reopen_list(t["id"].to(str)),
                      class_name="wl-reopen"),
            rx.button("Close list", size="1", variant="soft", color_scheme="red",
                      on_click=S.close_list(t["id"].to(str)), class_name="wl-close"),
        )),
        class_name="wl-list",
    )


def _entry_row(e: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e["type"], class_name="hide-sm"),
        rx.table.cell(e["position"], class_name="wl-position"),
        rx.table.cell(rx.text(e["customer"], size="2"), rx.text(e["quantity"], " ticket(s) · joined ", e["joined"],
                                                                size="1", color=rx.color("gray", 11))),
        rx.table.cell(rx.badge(e["label"], color_scheme=rx.match(
            e["state"].to(str), *[(k, v) for k, v in STATE_COLORS.items()], "gray")),
            rx.cond(e["until"] != "", rx.text("until ", e["until"], size="1")), class_name="wl-status"),
        rx.table.cell(rx.cond(e["state"].to(str) == "waiting",
                              rx.button("Offer now", size="1", variant="soft", on_click=S.offer(e["id"].to(str)),
                                        class_name="wl-offer"))),
        class_name="wl-entry",
    )


def _table(header: list[tuple[str, str]], rows: rx.Var, render, table_id: str, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, class_name=c) for h, c in header])),
            rx.table.body(rx.foreach(rows, render)), size="1", width="100%", id=table_id),
            width="100%", overflow_x="auto"),
        rx.text(empty, size="2", color=rx.color("gray", 11)),
    )


def waitlist_page() -> rx.Component:
    return console_page(
        "waitlist",
        rx.cond(S.notice != "", rx.callout(S.notice, icon="circle-check", color_scheme="green", id="wl-notice")),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert",
                                          id="wl-error")),
        section("Lists", _table([("Ticket type", ""), ("Waiting", ""), ("Offered", ""), ("Bought", "hide-sm"), ("", "")],
                                S.lists, _list_row, "wl-lists", "Nobody has joined a waiting list yet."),
                hint="Customers join when a ticket type is sold out. Freed places go to the first in line that "
                     "fits, as tickets held for them (the event's offer time); closing a list puts them back on "
                     "sale."),
        section("In line", _table([("Ticket type", "hide-sm"), ("#", ""), ("Customer", ""), ("Status", ""),
                                   ("", "")], S.entries, _entry_row, "wl-entries", "No entries."),
                hint="\"Offer now\" holds free places for that customer whatever their place in line."),
        live_refresh(S.follow_live),
    )
