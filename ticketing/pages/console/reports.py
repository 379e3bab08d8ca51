"""Console: the event's report — money, sales by type and day, fill and check-ins."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, section
from ticketing.pages.dashboard import stat
from ticketing.state.console.reports import ReportsState

S = ReportsState.stats
# Charts drawn once, not animated: an animated chart re-renders every frame for its first
# second and a half, the main cost of the page's first load with a few dozen bars.
STILL = {"is_animation_active": False}


def _drawn_later(chart: rx.Component, height: int | rx.Var) -> rx.Component:
    """The chart once the figures are on screen (ReportsState.charts): drawing a few dozen bars
    costs the browser far more than the tables, so the tables come first; a box of the chart's
    height holds its place meanwhile, so nothing moves when it appears."""
    return rx.cond(ReportsState.charts, chart, rx.box(height=rx.Var.create(height).to(str) + "px", width="100%",
                                                      class_name="chart-pending"))


def _empty(text: str) -> rx.Component:
    return rx.text(text, size="2", color=rx.color("gray", 11))


def _by_day() -> rx.Component:
    return rx.cond(
        ReportsState.by_day.length() > 0,
        _drawn_later(rx.recharts.composed_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(y_axis_id="left", allow_decimals=False, width=32),
            rx.recharts.y_axis(y_axis_id="right", orientation="right", width=48),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="tickets", name="Tickets", y_axis_id="left", fill=rx.color("indigo", 9),
                            radius=[4, 4, 0, 0], **STILL),
            rx.recharts.line(data_key="revenue", name="Revenue", y_axis_id="right", stroke=rx.color("green", 9),
                             stroke_width=2, **STILL),
            data=ReportsState.by_day, height=240, width="100%",
        ), 240),
        _empty("No paid orders yet."),
    )


def _by_type() -> rx.Component:
    table = rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                       ("Ticket type", "Sold", "Cancelled", "Revenue", "Quota")])),
        rx.table.body(rx.foreach(ReportsState.by_type, lambda t: rx.table.row(
            rx.table.cell(t["name"]), rx.table.cell(t["sold"]), rx.table.cell(t["cancelled"]),
            rx.table.cell(t["revenue"]), rx.table.cell(t["quota"])))),
        size="1", width="100%", id="by-type",
    )
    chart = rx.recharts.bar_chart(
        rx.recharts.x_axis(type_="number", allow_decimals=False),
        rx.recharts.y_axis(data_key="short", type_="category", width=150),
        rx.recharts.graphing_tooltip(),
        rx.recharts.bar(data_key="sold", name="Sold", fill=rx.color("indigo", 9), radius=[0, 4, 4, 0], **STILL),
        layout="vertical", data=ReportsState.by_type, height=rx.cond(ReportsState.by_type.length() > 6, 360, 220),
        width="100%",
    )
    height = rx.cond(ReportsState.by_type.length() > 6, 360, 220)
    return rx.vstack(_drawn_later(chart, height), rx.box(table, width="100%", overflow_x="auto"), spacing="3",
                     width="100%")


def _sessions() -> rx.Component:
    chart = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="short", interval="preserveStartEnd"),
        rx.recharts.y_axis(allow_decimals=False, width=32),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="sold", name="Sold", stack_id="a", fill=rx.color("indigo", 9), **STILL),
        rx.recharts.bar(data_key="waiting", name="In carts / unpaid", stack_id="a", fill=rx.color("amber", 8), **STILL),
        rx.recharts.bar(data_key="free", name="Free", stack_id="a", fill=rx.color("gray", 5), **STILL),
        data=ReportsState.sessions, height=260, width="100%",
    )
    table = rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, class_name=c) for h, c in (
            ("Session", ""), ("Capacity", "hide-sm"), ("Sold", ""), ("Filled", ""), ("Checked in", "hide-sm"),
            ("Check-in rate", ""))])),
        rx.table.body(rx.foreach(ReportsState.sessions, lambda s: rx.table.row(
            rx.table.cell(rx.text(s["name"], size="2"), rx.text(s["when"], size="1", color=rx.color("gray", 11)),
                          rx.cond(s["status"] == "cancelled", rx.badge("called off", color_scheme="red", size="1"))),
            rx.table.cell(s["capacity"], class_name="hide-sm"), rx.table.cell(s["sold"]),
            rx.table.cell(s["utilisation"].to(str) + " %"), rx.table.cell(s["checked_in"], class_name="hide-sm"),
            rx.table.cell(s["rate"].to(str) + " %")))),
        size="1", width="100%", id="by-session",
    )
    return rx.vstack(_drawn_later(chart, 260), rx.box(table, width="100%", overflow_x="auto"), spacing="3",
                     width="100%")


def reports_page() -> rx.Component:
    return console_page(
        "reports",
        rx.hstack(
            rx.text("Paid orders only; refunds include cancellations by you and by buyers.", size="2",
                    color=rx.color("gray", 11)),
            rx.spacer(),
            rx.button(rx.icon("download", size=16), "Download CSV", variant="soft", on_click=ReportsState.export_csv,
                      id="report-csv"),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(ReportsState.error != "", rx.callout(ReportsState.error, color_scheme="red")),
        rx.grid(
            stat("Gross", S["gross"], S["orders"] + " paid orders", id="stat-gross"),
            stat("Refunds", S["refunds"], S["refunds_note"], id="stat-refunds"),
            stat("Net", S["net"], S["net_note"], id="stat-net"),
            stat("Tickets sold", S["sold"], id="stat-sold"),
            stat("Check-in rate", S["checkin"], "of sessions that have started", id="stat-checkin"),
            columns=rx.breakpoints(initial="2", md="5"), spacing="3", width="100%",
        ),
        rx.grid(
            section("Sales per day", _by_day()),
            section("Sales by ticket type", _by_type()),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
        ),
        section("Capacity and check-in per session", _sessions()),
    )
