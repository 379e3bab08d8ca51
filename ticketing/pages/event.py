"""The customer's event page: details, sessions filling up live, ticket types."""

from __future__ import annotations

import reflex as rx

from ticketing.components.availability import live_indicator, session_card, ticket_type_row
from ticketing.components.forms import card
from ticketing.components.layout import page_shell
from ticketing.state.event_page import EventPageState


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("This event is not available", size="5", as_="h1"),
            rx.text("It may have been removed, or the link is wrong."),
            rx.link(rx.button("See all events"), href="/"),
            align="center",
            spacing="3",
        ),
        padding="4rem 1rem",
    )


def _details() -> rx.Component:
    e = EventPageState.event
    return rx.vstack(
        rx.cond(e["cover"], rx.image(src=rx.get_upload_url(e["cover"]), alt="", class_name="event-cover",
                                     id="event-cover")),
        rx.hstack(rx.badge(e["category"], variant="soft"), rx.spacer(), live_indicator(EventPageState.live),
                  width="100%", align="center", data_worker=EventPageState.worker, id="event-head"),
        rx.heading(e["title"], size="8", as_="h1", id="event-title"),
        rx.hstack(rx.icon("calendar", size=16), rx.text(e["when"]), color=rx.color("gray", 11), align="center"),
        rx.hstack(rx.icon("map-pin", size=16), rx.text(e["location"]), color=rx.color("gray", 11), align="center"),
        rx.cond(e["status"] == "cancelled",
                rx.callout("This event has been cancelled.", icon="circle-alert", color_scheme="red")),
        rx.text(e["description"], size="3", white_space="pre-line"),
        spacing="3",
        width="100%",
        align="start",
    )


def event_page() -> rx.Component:
    content = rx.vstack(
        _details(),
        rx.grid(
            rx.vstack(
                rx.heading("Sessions", size="5", as_="h2"),
                rx.box(rx.foreach(EventPageState.sessions, session_card), class_name="session-grid", width="100%",
                       id="sessions"),
                spacing="3",
                width="100%",
            ),
            card(
                rx.heading("Tickets", size="5", as_="h2"),
                rx.box(rx.foreach(EventPageState.ticket_types, lambda t: ticket_type_row(t)), width="100%", id="ticket-types"),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        rx.cond(~EventPageState.live, rx.moment(interval=10_000, on_change=EventPageState.refresh, display="none")),
        spacing="6",
        width="100%",
        on_unmount=EventPageState.leave,
    )
    return page_shell(rx.cond(EventPageState.missing, _missing(), content))
