"""'Choose your seats' links on an event page, one per seated session."""

from __future__ import annotations

import reflex as rx

from ticketing.state.seat_links import SeatLinksState


def _link(s: rx.Var[dict], manage: bool = False) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon("armchair", size=20, color=rx.color("indigo", 11)),
                rx.vstack(rx.text(s["name"], weight="bold"), rx.text(s["when"], size="1", color=rx.color("gray", 11)),
                          spacing="0", flex="1"),
                rx.button("Manage seats" if manage else "Choose seats", size="2"),
                align="center", width="100%", spacing="3",
            ),
            class_name="panel event-card",
        ),
        href=s["manage_href"] if manage else s["href"], underline="none", class_name="seat-link",
    )


def seating_links(manage: bool = False) -> rx.Component:
    """Customer links (event page) or the organizer's seat maps (`manage`, dashboard)."""
    return rx.cond(
        SeatLinksState.seated.length() > 0,
        rx.vstack(
            rx.heading("Seat maps" if manage else "Seated performances", size="5", as_="h2"),
            rx.box(rx.foreach(SeatLinksState.seated, lambda s: _link(s, manage)), class_name="session-grid",
                   width="100%"),
            spacing="3", width="100%", id="seated-sessions",
        ),
    )
