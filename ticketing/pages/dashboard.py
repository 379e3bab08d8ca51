"""Organizer's live dashboard: sales ticking, holds, pending payments, fill per session."""

from __future__ import annotations

import reflex as rx

from ticketing.components.availability import fill_bar, live_indicator, status_badge
from ticketing.components.console import console_tabs
from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.components.seat_links import seating_links
from ticketing.state.dashboard import DashboardState


def stat(label: str, value: rx.Var, hint: rx.Var | str = "", id: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color=rx.color("gray", 11)),
            rx.text(value, size="7", weight="bold", id=id),
            rx.text(hint, size="1", color=rx.color("gray", 11)),
            spacing="1",
        ),
        class_name="panel",
    )


def _session_row(s: rx.Var[dict]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(s["name"], weight="medium"),
            rx.spacer(),
            status_badge(s["status"].to(str), s["status_label"].to(str)),
            width="100%",
        ),
        fill_bar(s["taken_percent"].to(int), s["status"].to(str)),
        rx.text(
            s["sold"].to(str), " sold · ", s["pending"].to(str), " awaiting payment · ", s["held"].to(str),
            " in carts · ", s["available"].to(str), " of ", s["capacity"].to(str), " free",
            size="1", color=rx.color("gray", 11),
        ),
        rx.hstack(
            rx.icon("scan-line", size=14, color=rx.color("green", 10)),
            rx.text(rx.text.strong(s["checked_in"].to(str), class_name="checked-in"), " of ", s["expected"].to(str),
                    " checked in at the door", size="1"),
            align="center",
            spacing="1",
        ),
        spacing="1",
        width="100%",
        data_session=s["id"],
    )


def _order_row(o: rx.Var[dict]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(o["number"], weight="medium", white_space="nowrap"),
            rx.text(o["at"], " · ", o["tickets"].to(str), " tickets", size="1", color=rx.color("gray", 11)),
        ),
        rx.table.cell(o["buyer"], class_name="hide-sm"),
        rx.table.cell(o["total"]),
        rx.table.cell(rx.badge(o["status"], variant="soft")),
    )


def _conflict_row(c: rx.Var[dict]) -> rx.Component:
    return rx.hstack(
        rx.icon("triangle-alert", size=16, color=rx.color("amber", 10)),
        rx.vstack(
            rx.text(c["holder"], weight="medium", size="2"),
            rx.text(c["what"], " · ", c["session"], size="1", color=rx.color("gray", 11)),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.text(c["when"], size="1", color=rx.color("gray", 11), white_space="nowrap"),
        align="center",
        width="100%",
        padding="0.5rem 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_kind=c["kind"],
    )


def _chart() -> rx.Component:
    return rx.cond(
        DashboardState.chart.length() > 0,
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False, width=32),
            rx.recharts.graphing_tooltip(),
            rx.recharts.bar(data_key="tickets", name="Tickets", fill=rx.color("indigo", 9), radius=[4, 4, 0, 0]),
            data=DashboardState.chart,
            height=220,
            width="100%",
        ),
        rx.text("No sales yet: the chart fills in as tickets sell.", color=rx.color("gray", 11), size="2"),
    )


def dashboard_page() -> rx.Component:
    stats = DashboardState.stats
    content = rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text("Live dashboard", size="2", color=rx.color("gray", 11)),
                rx.heading(DashboardState.title, size="7", as_="h1"),
                spacing="1",
            ),
            rx.spacer(),
            live_indicator(DashboardState.live),
            rx.link(rx.button("Public page", variant="soft"), href=DashboardState.public_url),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        console_tabs("live", DashboardState.manage_url),
        rx.grid(
            stat("Tickets sold", stats["tickets_sold"], id="stat-sold"),
            stat("Revenue", stats["revenue"], id="stat-revenue"),
            stat("In carts now", stats["tickets_held"], rx.text(stats["holds"], " active holds"), id="stat-held"),
            stat("Awaiting payment", stats["pending_orders"], stats["pending_amount"], id="stat-pending"),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="3",
            width="100%",
        ),
        seating_links(manage=True),
        rx.grid(
            card(rx.heading("Sessions", size="4", as_="h2"),
                 rx.vstack(rx.foreach(DashboardState.sessions, _session_row), spacing="4", width="100%",
                           margin_top="0.75rem")),
            card(rx.heading("Sales per day", size="4", as_="h2"), rx.box(_chart(), margin_top="0.75rem")),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            DashboardState.conflicts.length() > 0,
            card(
                rx.heading("Door conflicts", size="4", as_="h2"),
                rx.text("Offline gates admitted these tickets although the server would have refused them.",
                        size="2", color=rx.color("gray", 11)),
                rx.vstack(rx.foreach(DashboardState.conflicts, _conflict_row), spacing="0", width="100%",
                          margin_top="0.5rem", id="door-conflicts"),
            ),
        ),
        card(
            rx.heading("Latest orders", size="4", as_="h2"),
            rx.cond(
                DashboardState.orders.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Order"), rx.table.column_header_cell("Buyer", class_name="hide-sm"),
                        rx.table.column_header_cell("Total"),
                        rx.table.column_header_cell("Status"),
                    )),
                    rx.table.body(rx.foreach(DashboardState.orders, _order_row)),
                    width="100%",
                    size="1",
                    id="orders-feed",
                ),
                rx.text("No orders yet.", color=rx.color("gray", 11), size="2"),
            ),
        ),
        rx.cond(~DashboardState.live, rx.moment(interval=10_000, on_change=DashboardState.refresh, display="none")),
        spacing="5",
        width="100%",
        on_unmount=DashboardState.leave,
    )
    return page_shell(
        guarded(rx.cond(DashboardState.error != "", rx.callout(DashboardState.error, color_scheme="red"), content))
    )
