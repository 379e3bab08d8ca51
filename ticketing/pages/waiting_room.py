"""The waiting room of an event: the customer's place in line and the estimated wait, live,
until they are let in (then straight to the event page to choose tickets)."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.settings import get_settings
from ticketing.state.waiting_room import WaitingRoomState

S = WaitingRoomState


def _missing() -> rx.Component:
    return rx.vstack(
        rx.heading("This event is not available", size="5", as_="h1"),
        rx.text("It may have been removed, or the link is wrong."),
        rx.link(rx.button("See all events"), href="/"),
        align="center", spacing="3",
    )


def _place() -> rx.Component:
    grace_minutes = max(1, get_settings().waiting_room_grace_seconds // 60)
    return rx.vstack(
        rx.badge(rx.icon("users", size=14), "Waiting room", variant="soft", size="2"),
        rx.heading(S.event_title, size="6", as_="h1", text_align="center", id="queue-event"),
        rx.cond(S.opens_text != "",
                rx.callout(S.opens_text + " Everyone who arrives before then gets a place drawn at random: "
                           "there is no advantage in coming early.", icon="clock", color_scheme="indigo",
                           width="100%", id="queue-opens")),
        rx.vstack(
            rx.text("Your place in line", size="2", color=rx.color("gray", 11)),
            rx.text(S.position.to(str), size="9", weight="bold", id="queue-position", class_name="queue-position"),
            rx.text("of ", S.waiting.to(str), " waiting", size="2", color=rx.color("gray", 11), id="queue-waiting"),
            align="center", spacing="1", aria_live="polite",
        ),
        rx.hstack(rx.icon("hourglass", size=16), rx.text("Estimated wait: ", rx.text.strong(S.wait_text),
                                                           id="queue-wait"),
                  align="center", spacing="2"),
        rx.text("When it is your turn this page takes you to the tickets by itself. Keep it open: if you close "
                f"it, your place is kept for {grace_minutes} minutes.", size="2", color=rx.color("gray", 11),
                text_align="center"),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert",
                                          width="100%")),
        rx.button("Leave the queue", on_click=S.leave, variant="ghost", color_scheme="gray", size="2",
                  id="queue-leave"),
        rx.moment(interval=S.poll_ms, on_change=S.refresh, display="none"),
        align="center", spacing="4", width="100%",
    )


def waiting_room_page() -> rx.Component:
    body = rx.match(
        S.state,
        ("missing", _missing()),
        ("waiting", _place()),
        rx.center(rx.vstack(rx.spinner(size="3"), rx.text("Finding your place…", size="2"), align="center"),
                  padding="3rem"),
    )
    return page_shell(guarded(rx.center(card(body, max_width="32rem", id="waiting-room"),
                                        padding_top="2rem")))
