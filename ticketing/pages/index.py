"""Landing page: what is on sale now."""

from __future__ import annotations

import reflex as rx

from ticketing.components.layout import page_shell
from ticketing.state.events import EventsState


def event_card(e: rx.Var[dict]) -> rx.Component:
    return rx.link(
        rx.card(
            rx.cond(e["cover"] != "", rx.image(src=rx.get_upload_url(e["cover"]), alt="", class_name="card-cover",
                                               loading="lazy")),
            rx.vstack(
                rx.hstack(
                    rx.badge(e["category"], variant="soft", color_scheme="indigo"),
                    rx.cond(e["sold_out"] != "", rx.badge("Sold out", color_scheme="red", variant="solid",
                                                          class_name="sold-out-badge")),
                    rx.cond(e["few_left"] != "", rx.badge("Few left", color_scheme="amber", variant="solid",
                                                          class_name="few-left-badge", high_contrast=True)),
                    spacing="2",
                ),
                rx.heading(e["title"], size="4", as_="h3"),
                rx.hstack(rx.icon("calendar", size=14), rx.text(e["when"], size="2"), color=rx.color("gray", 11)),
                rx.hstack(rx.icon("map-pin", size=14), rx.text(e["location"], size="2"), color=rx.color("gray", 11)),
                rx.text(e["price_from"], size="2", weight="medium"),
                spacing="2",
                align="start",
            ),
            class_name="event-card panel",
            height="100%",
        ),
        href=e["url"],
        underline="none",
        color="inherit",
    )


def empty_state() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(rx.icon("calendar-search", size=28, color=rx.color("indigo", 9)),
                      width="56px", height="56px", border_radius="16px", background=rx.color("indigo", 3)),
            rx.cond(
                EventsState.filtered,
                rx.vstack(
                    rx.heading("No events match", size="4", as_="h2"),
                    rx.text("Try other words, another category or any date.", color=rx.color("gray", 11),
                            text_align="center"),
                    rx.button("Clear filters", variant="soft", on_click=EventsState.clear_filters),
                    align="center", spacing="3",
                ),
                rx.vstack(
                    rx.heading("No events on sale right now", size="4", as_="h2"),
                    rx.text("New events appear here the moment organizers publish them.", color=rx.color("gray", 11),
                            text_align="center"),
                    align="center", spacing="3",
                ),
            ),
            align="center",
            spacing="3",
        ),
        padding="3rem 1rem",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="16px",
        background="white",
        id="events-empty",
    )


def filters() -> rx.Component:
    """Category and date filters beside the list heading (wrap under it on phones)."""
    return rx.flex(
        rx.heading("On sale", size="5", as_="h2"),
        rx.spacer(),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="All categories", aria_label="Category"),
                rx.select.content(
                    rx.select.item("All categories", value="all"),
                    rx.foreach(EventsState.categories, lambda c: rx.select.item(c, value=c)),
                ),
                value=rx.cond(EventsState.category == "", "all", EventsState.category),
                on_change=EventsState.set_category,
                size="2",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="When"),
                rx.select.content(
                    rx.select.item("Any date", value="any"),
                    rx.select.item("Next 7 days", value="week"),
                    rx.select.item("Next 30 days", value="month"),
                    rx.select.item("Next 3 months", value="quarter"),
                ),
                value=EventsState.within,
                on_change=EventsState.set_within,
                size="2",
            ),
            spacing="2",
            id="event-filters",
        ),
        width="100%",
        align="center",
        gap="3",
        wrap="wrap",
    )


def index_page() -> rx.Component:
    return page_shell(
        rx.vstack(
            rx.box(
                rx.vstack(
                    rx.heading("Tickets for what's next", size="8", as_="h1"),
                    rx.text("Workshops, classes and concerts — see live availability and book in seconds.",
                            size="4", color=rx.color("gray", 11)),
                    rx.el.label(
                        rx.el.span("Search events", class_name="sr-only"),
                        rx.input(
                            rx.input.slot(rx.icon("search", size=16)),
                            placeholder="Search by title or place",
                            value=EventsState.search,
                            on_change=EventsState.set_search.debounce(300),
                            size="3",
                            max_width="28rem",
                            width="100%",
                            type="search",
                        ),
                        width="100%",
                    ),
                    spacing="4",
                ),
                class_name="hero",
                padding=["1.5rem", "2.5rem"],
                width="100%",
            ),
            filters(),
            rx.cond(
                EventsState.events.length() > 0,
                rx.box(rx.foreach(EventsState.events, event_card), class_name="event-grid", width="100%",
                       id="events-list"),
                rx.cond(EventsState.loaded, empty_state(), rx.center(rx.spinner(), padding="3rem")),
            ),
            spacing="5",
            width="100%",
        )
    )
