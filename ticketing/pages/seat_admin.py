"""Organizer's seat map: statuses, owners and holds live; bulk hold, block, release, ownership and
price level changes on a selection."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.components.seat_map import seat_map
from ticketing.state.auth import AuthState
from ticketing.state.broker_seats import SeatBuyState
from ticketing.state.seat_admin import REASONS, SeatAdminState

A = SeatAdminState


def _detail_row(label: str, value: rx.Var) -> rx.Component:
    return rx.cond(value != "", rx.hstack(rx.text(label, size="1", color=rx.color("gray", 11), width="5rem"),
                                          rx.text(value, size="2"), width="100%", align="start"))


def _detail() -> rx.Component:
    d = A.detail
    return rx.cond(
        A.detail.length() > 0,
        rx.vstack(
            rx.heading("Seat", size="3", as_="h2"),
            rx.text(d["label"], weight="bold", id="seat-detail-label"),
            _detail_row("Status", d["status"]),
            _detail_row("Ownership", d["ownership"]),
            _detail_row("Price level", d["level"]),
            _detail_row("Reason", d["reason"]),
            _detail_row("Note", d["note"]),
            _detail_row("Holder", d["owner"]),
            _detail_row("Order", d["order"]),
            _detail_row("Until", d["expires_at"]),
            spacing="1", width="100%", align="start", id="seat-detail",
        ),
    )


def _summary_row(s: rx.Var[dict]) -> rx.Component:
    return rx.badge(s["status"], ": ", s["count"], variant="soft", color_scheme="gray")


def _broker_actions() -> rx.Component:
    B = SeatBuyState
    return rx.form(
        rx.vstack(
            rx.text("Buy from a supplier", weight="medium", size="2"),
            rx.select.root(
                rx.select.trigger(placeholder="Supplier", width="100%", aria_label="Supplier", id="buy-supplier"),
                rx.select.content(rx.foreach(B.suppliers, lambda o: rx.select.item(o["name"], value=o["id"]))),
                name="supplier_id", size="2",
            ),
            rx.hstack(
                rx.input(name="unit_cost", placeholder="Unit cost, e.g. 30.00", size="2", flex="1",
                         aria_label="Unit cost", id="buy-unit-cost", required=True),
                rx.el.label(rx.checkbox(name="confirm", default_checked=True), " confirm now", class_name="field-label"),
                width="100%", align="center",
            ),
            rx.hstack(
                rx.button("Create purchase order", type="submit", size="2", id="action-buy"),
                rx.button("Return to supplier", type="button", on_click=B.give_back, size="2", variant="soft",
                          color_scheme="orange", id="action-return"),
                wrap="wrap", spacing="2",
            ),
            spacing="2", width="100%",
        ),
        on_submit=B.buy, width="100%",
    )


def _actions() -> rx.Component:
    return rx.vstack(
        rx.heading("Selection", size="3", as_="h2"),
        rx.hstack(rx.text(rx.text.strong(A.selected_count.to(str)), " seats selected", id="selected-count"),
                  rx.spacer(), rx.button("Clear", variant="ghost", size="1", on_click=A.clear), width="100%"),
        rx.flex(rx.foreach(A.summary, _summary_row), wrap="wrap", gap="1"),
        rx.text("Shift+drag on the map (or the ▭ tool) selects many seats; click adds one.", size="1",
                color=rx.color("gray", 11)),
        rx.divider(),
        rx.text("Hold back or block", weight="medium", size="2"),
        rx.hstack(
            rx.select(REASONS, value=A.reason, on_change=A.set_reason, size="2", aria_label="Reason"),
            rx.input(value=A.note, on_change=A.set_note, placeholder="Note (optional)", size="2", flex="1",
                     aria_label="Note"),
            width="100%",
        ),
        rx.hstack(
            rx.button("Hold back", on_click=A.apply("hold"), size="2", color_scheme="purple", id="action-hold"),
            rx.button("Block", on_click=A.apply("block"), size="2", color_scheme="red", variant="soft",
                      id="action-block"),
            rx.button("Release to sale", on_click=A.apply("release"), size="2", color_scheme="green",
                      id="action-release"),
            wrap="wrap", spacing="2",
        ),
        # In broker mode ownership comes from purchase orders: buy or return instead.
        rx.cond(SeatBuyState.broker, _broker_actions(), rx.vstack(
            rx.text("Ownership", weight="medium", size="2"),
            rx.hstack(
                rx.button("Owned", on_click=A.apply("own"), size="1", variant="soft"),
                rx.button("Not owned", on_click=A.apply("disown"), size="1", variant="soft"),
                rx.button("Returned", on_click=A.apply("return"), size="1", variant="soft"),
                wrap="wrap", spacing="2",
            ),
            spacing="1", width="100%",
        )),
        rx.cond(
            A.levels.length() > 0,
            rx.vstack(
                rx.text("Price level", weight="medium", size="2"),
                rx.hstack(
                    rx.box(rx.select.root(
                        rx.select.trigger(aria_label="Price level", width="100%"),
                        rx.select.content(rx.foreach(A.levels, lambda lv: rx.select.item(lv["name"], value=lv["id"]))),
                        value=A.level_id, on_change=A.set_level, size="2",
                    ), flex="1", min_width="0"),
                    rx.button("Apply", on_click=A.apply("price"), size="2", variant="soft"),
                    width="100%",
                ),
                spacing="1", width="100%",
            ),
        ),
        spacing="2", width="100%", align="start",
    )


def _panel() -> rx.Component:
    return card(
        rx.vstack(
            rx.cond(A.error != "", rx.callout(A.error, icon="circle-alert", color_scheme="red", width="100%",
                                             role="alert")),
            rx.cond(A.message != "", rx.callout(A.message, icon="check", color_scheme="green", width="100%",
                                               id="seat-admin-message")),
            _actions(),
            _detail(),
            spacing="4", width="100%",
        ),
    )


def seat_admin_page() -> rx.Component:
    e = A.event
    content = rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Live dashboard", size="2"), align="center",
                          spacing="1"), href="/manage/events/" + e["id"].to(str), color=rx.color("gray", 11)),
        rx.heading(e["title"], " · seats", size="6", as_="h1"),
        rx.text(e["session"], " · ", e["when"], color=rx.color("gray", 11)),
        rx.box(
            rx.box(seat_map(layout_url=A.layout_url, status_url=A.status_url, delta=A.seat_delta, mine=[],
                            select_request=A.select_request, max_select=25_000, mode="organizer",
                            auth_token=AuthState.token, height="min(72vh, 700px)", on_select=A.choose,
                            on_focus_seat=A.focus, id="seat-map"),
                   min_width="0"),
            _panel(),
            class_name="seat-layout", width="100%",
        ),
        spacing="3", width="100%", on_unmount=A.leave,
    )
    missing = rx.center(rx.text("This seat map is not available to you."), padding="4rem 1rem")
    return page_shell(guarded(rx.cond(A.missing, missing, content)), width="90rem")
