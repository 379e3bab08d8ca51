"""Broker console: Profit — revenue, cost and profit by event, supplier or price level (chart,
table, CSV), supplier payables and the revenue forecast; pushed live while open (state/broker_profit.py)."""

from __future__ import annotations

import reflex as rx

from ticketing.components.availability import live_indicator
from ticketing.components.forms import card
from ticketing.pages.broker import MUTED, _table, broker_shell
from ticketing.pages.dashboard import stat
from ticketing.state.broker_profit import ProfitState

P = ProfitState


def _chart() -> rx.Component:
    return rx.cond(
        P.chart.length() > 0,
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
            rx.recharts.x_axis(data_key="label"),
            rx.recharts.y_axis(width=56),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="revenue", name="Revenue", fill=rx.color("indigo", 9), radius=[4, 4, 0, 0]),
            rx.recharts.bar(data_key="cost", name="Cost", fill=rx.color("gray", 8), radius=[4, 4, 0, 0]),
            rx.recharts.bar(data_key="profit", name="Profit", fill=rx.color("green", 9), radius=[4, 4, 0, 0]),
            data=P.chart, height=260, width="100%",
        ),
        rx.text("No inventory bought yet.", size="2", color=MUTED),
    )


def profit_page() -> rx.Component:
    T = P.totals
    rows = _table(["", "Bought", "Sold", "Held", "Returned", "Unsold", "Revenue", "Cost", "Profit", "Margin",
                   "Sell-through"], P.rows, lambda r: [
        rx.table.cell(rx.text(r["label"], weight="medium")), rx.table.cell(r["bought"]), rx.table.cell(r["sold"]),
        rx.table.cell(r["held"]), rx.table.cell(r["returned"]), rx.table.cell(r["unsold"]),
        rx.table.cell(r["revenue"]), rx.table.cell(r["cost"]), rx.table.cell(r["profit"]),
        rx.table.cell(r["margin"]), rx.table.cell(r["sell_through"])], "profit-rows")
    payables = _table(["Supplier", "Order", "Owed", "Due", ""], P.payables, lambda p: [
        rx.table.cell(p["supplier"]), rx.table.cell(p["number"]), rx.table.cell(p["owed"]), rx.table.cell(p["due"]),
        rx.table.cell(rx.cond(p["overdue"] != "", rx.badge("overdue", color_scheme="red", size="1")))], "payables")
    forecast = _table(["Event", "Sold", "Pace", "Days left", "Projected", "Revenue", "Profit"], P.forecast, lambda f: [
        rx.table.cell(f["event"]), rx.table.cell(f["sold"]), rx.table.cell(f["pace"]), rx.table.cell(f["days"]),
        rx.table.cell(f["projected"]), rx.table.cell(f["revenue"]), rx.table.cell(f["profit"])], "forecast")
    controls = rx.hstack(
        rx.text("Group by", size="2"),
        rx.select(["event", "supplier", "price_level"], value=P.group_by, on_change=P.set_group, size="2",
                  aria_label="Group by", id="profit-group"),
        rx.spacer(),
        live_indicator(P.live),
        rx.button(rx.icon("download", size=16), "Download CSV", variant="soft", on_click=P.export_csv,
                  id="profit-csv"),
        width="100%", align="center", wrap="wrap",
    )
    return broker_shell(
        "profit", P,
        rx.box(
            rx.grid(
                stat("Revenue", T["revenue"], id="stat-revenue"),
                stat("Profit", T["profit"], id="stat-profit"),
                stat("Margin", T["margin"], "of net revenue", id="stat-margin"),
                stat("Tickets sold", T["sold"], id="stat-sold"),
                stat("Unsold owned", T["unsold"], id="stat-unsold"),
                columns=rx.breakpoints(initial="2", md="5"), spacing="3", width="100%",
            ),
            width="100%", on_unmount=P.leave,
        ),
        card(rx.vstack(controls, _chart(), rows, spacing="3", width="100%")),
        rx.cond(~P.live, rx.moment(interval=10_000, on_change=P.refresh, display="none")),
        rx.grid(
            card(rx.vstack(rx.heading("Owed to suppliers", size="4", as_="h2"), payables, width="100%")),
            card(rx.vstack(rx.heading("Forecast", size="4", as_="h2"),
                           rx.text("Pace = tickets sold over the last 7 days per day; projected = what that pace "
                                   "sells of the unsold, unheld inventory before the event.", size="1", color=MUTED),
                           forecast, width="100%")),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
        ),
    )
