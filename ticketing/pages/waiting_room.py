"""The waiting room of an event: the customer's place in line and the estimated wait, live,
until they are let in (then straight to the event page to choose tickets). The page's load takes
the place (WaitingRoomState.load); from then on its component asks the JSON API itself
(components/queue_place.py) and hands over to WaitingRoomState.refresh when the turn comes."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.components.queue_place import queue_place
from ticketing.settings import get_settings
from ticketing.state.auth import AuthState
from ticketing.state.waiting_room import WaitingRoomState

S = WaitingRoomState


def _missing() -> rx.Component:
    return rx.vstack(
        rx.heading("This event is not available", size="5", as_="h1"),
        rx.text("It may have been removed, or the link is wrong."),
        rx.link(rx.button("See all events"), href="/"),
        align="center", spacing="3",
    )


def _failed() -> rx.Component:
    """The load could not take a place (busy, or a fault): say so, and let the customer ask again."""
    return rx.vstack(
        rx.badge(rx.icon("users", size=14), "Waiting room", variant="soft", size="2"),
        rx.heading("We could not find your place in line", size="5", as_="h1", text_align="center"),
        rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert", width="100%", id="queue-error"),
        rx.text("Nothing is lost by trying again: one place is kept per account.", size="2",
                color=rx.color("gray", 11), text_align="center"),
        rx.button(rx.icon("rotate-cw", size=16), "Try again", on_click=S.load, size="3", id="queue-retry"),
        align="center", spacing="4", width="100%",
    )


def _place() -> rx.Component:
    grace_minutes = max(1, get_settings().waiting_room_grace_seconds // 60)
    return rx.vstack(
        rx.badge(rx.icon("users", size=14), "Waiting room", variant="soft", size="2"),
        rx.heading(S.event_title, size="6", as_="h1", text_align="center", id="queue-event"),
        queue_place(event_id=S.place_event_id, place=S.place, auth_token=AuthState.token, on_hand_over=S.refresh),
        rx.text("When it is your turn this page takes you to the tickets by itself. Keep it open: if you close "
                f"it, your place is kept for {grace_minutes} minutes.", size="2", color=rx.color("gray", 11),
                text_align="center"),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert",
                                          width="100%")),
        rx.button("Leave the queue", on_click=S.leave, variant="ghost", color_scheme="gray", size="2",
                  id="queue-leave"),
        align="center", spacing="4", width="100%",
    )


def waiting_room_page() -> rx.Component:
    body = rx.match(
        S.state,
        ("missing", _missing()),
        ("waiting", _place()),
        ("failed", _failed()),
        rx.center(rx.vstack(rx.spinner(size="3"), rx.text("Finding your place…", size="2"), align="center"),
                  padding="3rem"),
    )
    return page_shell(guarded(rx.center(card(body, max_width="32rem", id="waiting-room"),
                                        padding_top="2rem")))
