"""Venues: generate a layout (sections of rows x seats, straight or curved, aisles, labelling) or
import one, preview it on the seat map, export it, and seat a session in it."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.components.seat_map import seat_map
from ticketing.state.auth import AuthState
from ticketing.state.venues import VenueState

V = VenueState
HELP = (
    "Generator: {name, stage: {x, y, label}, sections: [{name, rows, seats (a number or one per row), "
    "shape: straight|curved, x, y, angle, radius, aisles: [seats before each aisle], row_labels: letters|numbers, "
    "first_row, numbering: left_to_right|right_to_left|odd_even, first_seat, seat_pitch, row_pitch, "
    "special: [{type: wheelchair|companion|vip|restricted_view, rows, seats}]}]}. Units are centimetres; the stage "
    "is at the top. Layout files are what Export writes."
)


def _venue_row(v: rx.Var[dict]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(v["name"], weight="medium"), rx.text(v["seats"], " seats", size="1",
                                                               color=rx.color("gray", 11)), spacing="0", flex="1"),
        rx.button("Preview", size="1", variant="soft", on_click=V.preview(v["id"], v["name"])),
        rx.button("Export", size="1", variant="soft", color_scheme="gray", on_click=V.export(v["id"])),
        width="100%", align="center", padding_y="0.4rem", border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="venue-row",
    )


def _create() -> rx.Component:
    return card(
        rx.vstack(
            rx.heading("New venue", size="4", as_="h2"),
            rx.radio_group.root(
                rx.hstack(
                    rx.el.label(rx.radio_group.item(value="generate"), " Generate from sections", class_name="field-label"),
                    rx.el.label(rx.radio_group.item(value="layout"), " Import a layout file", class_name="field-label"),
                    spacing="4", wrap="wrap",
                ),
                value=V.kind, on_change=V.set_kind,
            ),
            rx.text(HELP, size="1", color=rx.color("gray", 11)),
            rx.text_area(value=V.document, on_change=V.set_document, rows="14", width="100%", font_family="monospace",
                         font_size="12px", aria_label="Layout JSON", id="venue-json"),
            rx.button("Create venue", on_click=V.create, loading=V.busy, id="create-venue"),
            spacing="3", width="100%", align="start",
        ),
    )


def _seat_session() -> rx.Component:
    return card(
        rx.vstack(
            rx.heading("Seat a session", size="4", as_="h2"),
            rx.text("Every seat starts at the chosen ticket type's price level; re-price sections on the seat map.",
                    size="1", color=rx.color("gray", 11)),
            rx.select.root(
                rx.select.trigger(placeholder="Session", width="100%", aria_label="Session"),
                rx.select.content(rx.foreach(V.sessions, lambda s: rx.select.item(s["name"], value=s["key"]))),
                value=V.session_key, on_change=V.choose_session,
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Venue", width="100%", aria_label="Venue"),
                rx.select.content(rx.foreach(V.venues, lambda v: rx.select.item(v["name"], value=v["id"]))),
                value=V.venue_id, on_change=V.set_venue,
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Ticket type for all seats", width="100%", aria_label="Ticket type"),
                rx.select.content(rx.foreach(V.types, lambda t: rx.select.item(t["name"], value=t["id"]))),
                value=V.ticket_type_id, on_change=V.set_ticket_type,
            ),
            rx.button("Seat this session", on_click=V.seat, id="seat-session"),
            spacing="2", width="100%", align="start",
        ),
    )


def venues_page() -> rx.Component:
    content = rx.vstack(
        rx.heading("Venues", size="7", as_="h1"),
        rx.cond(V.error != "", rx.callout(V.error, icon="circle-alert", color_scheme="red", width="100%",
                                         role="alert", id="venue-error")),
        rx.cond(V.message != "", rx.callout(V.message, icon="check", color_scheme="green", width="100%")),
        rx.grid(
            rx.vstack(
                card(rx.heading("Your venues", size="4", as_="h2"),
                     rx.cond(V.venues.length() > 0, rx.vstack(rx.foreach(V.venues, _venue_row), spacing="0",
                                                              width="100%"),
                             rx.text("No venues yet.", color=rx.color("gray", 11)))),
                _seat_session(),
                spacing="4", width="100%",
            ),
            _create(),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
        ),
        rx.cond(
            V.preview_url != "",
            rx.vstack(
                rx.heading(V.preview_name, size="4", as_="h2"),
                seat_map(layout_url=V.preview_url, status_url="", delta={}, mine=[], select_request={"n": 0},
                         max_select=0, mode="organizer", auth_token=AuthState.token, height="min(60vh, 560px)",
                         id="venue-preview"),
                width="100%", spacing="2",
            ),
        ),
        spacing="4", width="100%",
    )
    return page_shell(guarded(content), width="90rem")
