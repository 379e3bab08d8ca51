"""Session fill bars, status bands and ticket-type rows (data comes in as plain dicts)."""

from __future__ import annotations

import reflex as rx

BAND_COLORS = {"available": "green", "filling_up": "amber", "nearly_full": "orange", "sold_out": "red"}


def status_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color, variant="soft")) for key, color in BAND_COLORS.items()],
        rx.badge(label),
    )


def fill_bar(percent: rx.Var[int], status: rx.Var[str], label: rx.Var[str] | str = "Places taken") -> rx.Component:
    """How full a session is; named for screen readers ("Evening: places taken")."""
    return rx.match(
        status,
        *[(key, rx.progress(value=percent, max=100, color_scheme=color, size="2", aria_label=label))
          for key, color in BAND_COLORS.items()],
        rx.progress(value=percent, max=100, size="2", aria_label=label),
    )


def session_card(s: rx.Var[dict]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(s["name"], weight="bold", size="3"),
                rx.spacer(),
                status_badge(s["status"].to(str), s["status_label"].to(str)),
                width="100%",
                align="center",
            ),
            rx.text(s["when"], size="2", color=rx.color("gray", 11)),
            fill_bar(s["taken_percent"].to(int), s["status"].to(str), s["name"].to(str) + ": places taken"),
            rx.text(
                rx.text.strong(s["available"].to(str), class_name="places-left"), " of ", s["capacity"].to(str),
                " places left", size="2",
            ),
            rx.cond(s["note"].to(str) != "", rx.text(s["note"], size="1", color=rx.color("amber", 11))),
            spacing="2",
            width="100%",
        ),
        class_name="panel",
        data_session=s["id"],
    )


def ticket_type_row(t: rx.Var[dict], action: rx.Component | None = None,
                    note: rx.Component | None = None, below: rx.Component | None = None) -> rx.Component:
    """A ticket type with its places left (or why not), `action` on the right, `note` under its
    name and `below` across the whole row's width (the waiting list)."""
    availability = rx.cond(
        t["is_available"].to(bool),
        rx.vstack(
            rx.text(rx.text.strong(t["available"].to(str), class_name="units-left"),
                    rx.cond(t["seated"].to(bool), " seats left", " left"), size="2"),
            rx.cond(t["limited_by"].to(str) != "", rx.text(t["limited_by"], size="1", color=rx.color("gray", 11))),
            spacing="0",
            align="end",
        ),
        rx.vstack(
            rx.badge(t["reason_label"], color_scheme="gray", variant="surface", class_name="reason"),
            rx.cond(
                t["note"].to(str) != "",
                rx.text(t["note"], size="1", color=rx.color("gray", 11), text_align="right", max_width="12rem"),
            ),
            spacing="1",
            align="end",
        ),
    )
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(t["name"], weight="bold"),
                rx.text(t["sessions"], size="1", color=rx.color("gray", 11), class_name="type-sessions"),
                rx.text(t["price"], size="3", weight="medium", color=rx.color("indigo", 11)),
                *([note] if note is not None else []),
                spacing="1",
                align="start",
                flex="1 1 6rem",
                min_width="6rem",  # a session's name never squeezed under the figures on a phone
            ),
            # Figures and action go together, and below the name when a phone has no room for both.
            rx.hstack(availability, *([action] if action is not None else []), spacing="4", align="center",
                      margin_left="auto", class_name="type-figures"),
            spacing="4",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        *([below] if below is not None else []),
        padding="1rem 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_ticket_type=t["id"],
        width="100%",
    )


def live_indicator(live: rx.Var[bool]) -> rx.Component:
    return rx.cond(
        live,
        rx.hstack(rx.box(class_name="live-dot"), rx.text("Live", size="1", weight="medium"), align="center",
                  spacing="1", id="live-indicator", aria_live="polite"),
        rx.hstack(rx.icon("wifi-off", size=14), rx.text("Live updates paused — refreshing every 10 s", size="1"),
                  align="center", spacing="1", color=rx.color("amber", 11), id="live-paused", aria_live="polite"),
    )
