"""Console: the waiting room — switch it on, set how many customers are let in a minute, and
watch the queue (refreshed every few seconds)."""

from __future__ import annotations

import reflex as rx

from ticketing.components.console import console_page, section
from ticketing.components.forms import form_error
from ticketing.pages.dashboard import stat
from ticketing.state.console.waiting_room import WaitingRoomConsoleState

S = WaitingRoomConsoleState


def _status() -> rx.Component:
    return rx.hstack(
        rx.switch(checked=S.enabled, on_change=S.switch, disabled=S.busy, id="room-switch", size="3",
                  aria_label="Waiting room on"),
        rx.vstack(
            rx.text(rx.cond(S.enabled, "On: customers queue before choosing tickets",
                            "Off: customers buy right away"), weight="medium", id="room-state"),
            rx.cond(S.auto_started, rx.text("Switched on by itself when arrivals surged; it switches off once the "
                                            "queue is empty and calm.", size="1", color=rx.color("amber", 11))),
            rx.cond(S.opens_text != "", rx.text("Sale opens ", S.opens_text, ": everyone here before then gets a "
                                                "place drawn at random.", size="1", color=rx.color("gray", 11),
                                                id="room-opens")),
            spacing="1",
        ),
        align="center", spacing="3",
    )


def _figures() -> rx.Component:
    return rx.grid(
        stat("Waiting now", S.waiting.to(str), "in the queue", id="room-waiting"),
        stat("Let in per minute", S.rate.to(str), "the admission rate", id="room-rate"),
        stat("Let in so far", S.admitted_total.to(str), "since the room opened", id="room-admitted"),
        stat("Queue empties in", S.drain_text, "at this rate", id="room-drain"),
        columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%",
    )


def _rate_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="rate", default_value=S.rate.to(str), key=S.rate.to(str), inputmode="numeric",
                     aria_label="Customers let in per minute", id="room-rate-input", width="10rem"),
            rx.text("customers a minute", size="2"),
            rx.button("Change rate", type="submit", variant="soft", id="room-rate-save", loading=S.busy),
            align="center", spacing="2", wrap="wrap",
        ),
        form_error(S.rate_error),
        on_submit=S.save_rate, width="100%",
    )


def waiting_room_console_page() -> rx.Component:
    return console_page(
        "waiting-room",
        section("Waiting room", _status(), _figures(),
                hint="Big on-sales: customers wait in line and are let in at a pace the sale can serve, each "
                     "with a pass that lets them hold tickets for a few minutes."),
        section("Admission rate", _rate_form(),
                hint="Each customer let in usually reserves once: keep the rate within what checkout can serve."),
        section("Automatic switch-on",
                rx.checkbox("Switch on by itself when more than " + S.surge_threshold.to(str)
                            + " customers arrive in one second", checked=S.auto, on_change=S.set_auto,
                            id="room-auto"),
                hint="When customers arrive faster than holds can be served, the room opens on its own."),
        rx.moment(interval=3000, on_change=S.refresh, display="none"),
    )
