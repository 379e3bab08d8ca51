"""Door pages, phone first: choose an event, then scan (the scanner component), with live
counters per session and the latest scans of every gate."""

from __future__ import annotations

import reflex as rx
from reflex.components.core.banner import has_connection_errors

from ticketing.components.availability import live_indicator
from ticketing.components.door_scanner import door_scanner
from ticketing.components.layout import guarded, page_shell
from ticketing.components.words import count_of
from ticketing.state.auth import AuthState
from ticketing.state.door import DoorEventsState, DoorState


def _event_row(e: rx.Var[dict]) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.text(e["title"], weight="bold", size="4"),
                    rx.text(e["when"], size="2", color=rx.color("gray", 11)),
                    rx.text(e["location"], size="2", color=rx.color("gray", 11)),
                    spacing="1",
                    align="start",
                    flex="1",
                    min_width="0",
                ),
                rx.icon("scan-line", size=28, color=rx.color("indigo", 9)),
                align="center",
                width="100%",
            ),
            class_name="panel event-card",
        ),
        href=e["url"],
        underline="none",
        color="inherit",
        width="100%",
    )


def door_events_page() -> rx.Component:
    content = rx.vstack(
        rx.vstack(
            rx.heading("Door check-in", size="7", as_="h1"),
            rx.text("Choose the event you are letting people into.", color=rx.color("gray", 11)),
            spacing="1",
        ),
        rx.cond(
            DoorEventsState.events.length() > 0,
            rx.vstack(rx.foreach(DoorEventsState.events, _event_row), spacing="3", width="100%", id="door-events"),
            rx.cond(
                DoorEventsState.loaded,
                rx.callout("No published events coming up in " + AuthState.current_org["name"].to(str) + ".",
                           icon="calendar-x", color_scheme="gray", width="100%", id="door-events-empty"),
                rx.center(rx.spinner(), padding="2rem", width="100%"),
            ),
        ),
        spacing="5",
        width="100%",
        max_width="36rem",
        margin_x="auto",
    )
    return page_shell(guarded(content))


def _counter(c: rx.Var[dict]) -> rx.Component:
    return rx.box(
        rx.text(c["name"], weight="medium", size="2", trim="start"),
        rx.hstack(
            rx.text(c["admitted"].to(str), size="7", weight="bold", class_name="door-admitted"),
            rx.text("/ ", c["expected"].to(str), " in", size="3", color=rx.color("gray", 11)),
            align="baseline",
            spacing="1",
        ),
        rx.progress(value=c["percent"].to(int), max=100, size="1", color_scheme="green",
                    aria_label=c["name"].to(str) + ": admitted so far"),
        rx.text(c["when"], size="1", color=rx.color("gray", 11), margin_top="0.35rem"),
        class_name=rx.cond(c["id"] == DoorState.selected_session_id, "door-counter door-counter--current",
                           "door-counter"),
        data_session=c["id"],
    )


def _history_row(h: rx.Var[dict]) -> rx.Component:
    return rx.box(
        rx.text(h["at"], size="1", color=rx.color("gray", 11), white_space="nowrap",
                font_variant_numeric="tabular-nums"),
        rx.box(
            rx.hstack(
                rx.el.span(h["title"], class_name=rx.cond(h["ok"].to(bool), "door-badge door-badge--ok",
                                                          "door-badge door-badge--no")),
                rx.text(h["holder"], weight="medium", size="2", trim="both"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(h["detail"], size="1", color=rx.color("gray", 11)),
            flex="1",
            min_width="0",
        ),
        class_name="door-history-row",
        data_result=h["result"],
    )


def _live_state() -> rx.Component:
    """Live, or paused: the page's own connection is down (the scanner goes on offline)."""
    return rx.cond(
        has_connection_errors,
        rx.hstack(rx.icon("wifi-off", size=14), rx.text("Paused while offline", size="1"), align="center",
                  spacing="1", color=rx.color("amber", 11), id="door-counters-paused"),
        live_indicator(DoorState.live),
    )


def _side() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.hstack(rx.heading("Checked in", size="4", as_="h2"), rx.spacer(), _live_state(),
                      width="100%", align="center"),
            rx.box(rx.foreach(DoorState.counters, _counter), class_name="door-counters", width="100%",
                   id="door-counters"),
            spacing="2",
            width="100%",
        ),
        rx.cond(
            DoorState.conflicts > 0,
            rx.callout(count_of(DoorState.conflicts, "offline conflict") + ": the organizer sees them on the dashboard.",
                       icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        rx.vstack(
            rx.heading("Latest scans, all gates", size="4", as_="h2"),
            rx.cond(
                DoorState.history.length() > 0,
                rx.box(rx.foreach(DoorState.history, _history_row), width="100%", id="door-history",
                       class_name="panel", padding="0.25rem 0.9rem", border_radius="14px",
                       border=f"1px solid {rx.color('gray', 4)}"),
                rx.text("No scans yet.", size="2", color=rx.color("gray", 11)),
            ),
            spacing="2",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )


def door_page() -> rx.Component:
    content = rx.vstack(
        rx.hstack(
            rx.link(rx.icon("chevron-left", size=20), href="/door", aria_label="All events",
                    color=rx.color("gray", 11)),
            rx.heading(DoorState.title, size="5", as_="h1", trim="both", id="door-title"),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.box(
            rx.cond(
                DoorState.event_id != "",
                door_scanner(
                    event_id=DoorState.event_id,
                    api_url=DoorState.api_url,
                    token=AuthState.token,
                    default_session_id=DoorState.default_session_id,
                    on_session_change=DoorState.choose_session,
                    on_synced=DoorState.reload,
                ),
            ),
            _side(),
            class_name="door-layout",
            width="100%",
        ),
        rx.cond(~DoorState.live, rx.moment(interval=10_000, on_change=DoorState.refresh, display="none")),
        spacing="3",
        width="100%",
        on_unmount=DoorState.leave,
    )
    return page_shell(
        guarded(rx.cond(DoorState.error != "", rx.callout(DoorState.error, color_scheme="red"), content)),
    )
