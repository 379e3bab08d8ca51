"""Console: start a new event (a draft) in the current organization."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import field, input_, section
from ticketing.components.layout import guarded, page_shell
from ticketing.pages.console.setup import _zones
from ticketing.state.auth import AuthState
from ticketing.state.console.new import NewEventState

E = NewEventState.errors


def new_event_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            field("Title", input_("title", required=True, max_length=200, placeholder="Rope Workshop: 3 days",
                                  size="3"), E["title"], html_for="f-title"),
            field("Location", input_("location", placeholder="Venue, street, city", size="3"), E["location"],
                  html_for="f-location"),
            field("Time zone", rx.el.select(*[rx.el.option(z, value=z) for z in _zones()], name="timezone",
                                            default_value="Europe/Berlin", id="f-timezone",
                                            class_name="native-select"),
                  E["timezone"], hint="Where the event happens: session times use it.", html_for="f-timezone"),
            rx.cond(E["form"], rx.callout(E["form"], color_scheme="red", icon="triangle-alert", width="100%")),
            rx.button("Create draft", type="submit", size="3", loading=NewEventState.busy, id="create-event"),
            spacing="4", width="100%", align="start",
        ),
        on_submit=NewEventState.create,
        reset_on_submit=False,
    )
    content = rx.vstack(
        rx.heading("New event", size="7", as_="h1"),
        rx.text("For ", rx.text.strong(AuthState.current_org["name"]), ". It starts as a draft that only your "
                "team sees; next you add its sessions and tickets.", color=rx.color("gray", 11)),
        section("About the event", form),
        spacing="4", max_width="36rem", width="100%",
    )
    return page_shell(guarded(content))
