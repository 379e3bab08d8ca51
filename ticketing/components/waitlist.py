"""The waiting list on the event page: under a sold-out ticket type, "Join the waiting list";
for the customer on it, their place in line, or the offer held for them with its checkout."""

from __future__ import annotations

import reflex as rx

from ticketing.components.on_change import on_change as version_changed
from ticketing.components.words import count_of
from ticketing.state.waitlist import WaitlistState

SOLD_OUT_REASONS = ("session_full", "quota_reached")


def _entry(e: rx.Var[dict]) -> rx.Component:
    leave = rx.button("Leave the list", type="button", variant="ghost", size="1", color_scheme="gray",
                      on_click=WaitlistState.leave(e["id"].to(str)), class_name="waitlist-leave")
    return rx.match(
        e["state"].to(str),
        ("offered", rx.callout.root(
            rx.callout.icon(rx.icon("party-popper")),
            rx.callout.text(rx.text.strong(count_of(e["quantity"], "ticket"), " held for you until ", e["until"]),
                            " — places freed up and you were next in line."),
            rx.hstack(rx.link(rx.button("Check out now", size="2"), href="/cart/" + e["hold_id"].to(str),
                              class_name="waitlist-checkout"),
                      leave, align="center", spacing="3", wrap="wrap"),
            color_scheme="green", size="1", width="100%", class_name="waitlist-offer",
        )),
        ("waiting", rx.callout.root(
            rx.callout.icon(rx.icon("list-ordered")),
            rx.callout.text("You are ", rx.text.strong("#", e["position"]), " on the waiting list for ",
                            count_of(e["quantity"], "ticket"), ". When places free up we hold them for you and mail you."),
            leave, color_scheme="indigo", variant="surface", size="1", width="100%", class_name="waitlist-waiting",
        )),
        ("bought", rx.text("You got these tickets through the waiting list.", size="1",
                           color=rx.color("green", 11), class_name="waitlist-bought")),
        rx.text("Your offer from the waiting list ran out.", size="1", color=rx.color("gray", 11),
                class_name="waitlist-lapsed"),
    )


def _join(t: rx.Var[dict]) -> rx.Component:
    type_id = t["id"].to(str)
    return rx.hstack(
        rx.select(["1", "2", "3", "4", "5", "6"], value=WaitlistState.quantities.get(type_id, 1).to(str),
                  on_change=lambda v: WaitlistState.set_quantity(type_id, v), size="1",
                  aria_label="Tickets wanted"),
        rx.button(rx.icon("bell-plus", size=14), "Join the waiting list", type="button", size="1", variant="soft",
                  loading=WaitlistState.busy_type == type_id, on_click=WaitlistState.join(type_id),
                  class_name="waitlist-join"),
        align="center", spacing="2", wrap="wrap",
    )


def waitlist_line(t: rx.Var[dict]) -> rx.Component:
    """Under a ticket type: the customer's entry, else the way to join when it is sold out."""
    entry = WaitlistState.entries.get(t["id"].to(str), {})
    sold_out = ~t["is_available"].to(bool) & ~t["seated"].to(bool) & (
        (t["reason"].to(str) == SOLD_OUT_REASONS[0]) | (t["reason"].to(str) == SOLD_OUT_REASONS[1]))
    joinable = sold_out & ((entry.length() == 0) | (entry.to(dict)["state"].to(str) == "lapsed"))
    return rx.vstack(
        rx.cond(entry.length() > 0, _entry(entry.to(dict))),
        rx.cond(joinable, _join(t)),
        spacing="1", width="100%", padding_top="0.5rem", class_name="waitlist-line",
    )


def waitlist_follower(version: rx.Var[int]) -> rx.Component:
    """Reads the customer's entries again whenever the page's live version moves, and shows a
    refusal of the last join or leave."""
    return rx.fragment(
        version_changed(value=version, on_change=WaitlistState.follow_live),
        rx.cond(WaitlistState.error != "", rx.callout(WaitlistState.error, icon="triangle-alert", color_scheme="red",
                                                     role="alert", width="100%", id="waitlist-error")),
    )


def _mine_row(e: rx.Var[dict]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(rx.text(e["event"], weight="bold"), href="/events/" + e["event_id"].to(str)),
            rx.text(e["quantity"], " × ", e["type"], " · ",
                    rx.cond(e["state"].to(str) == "offered", rx.text.span("held for you until ", e["until"]),
                            rx.text.span("#", e["position"], " in line")), size="2"),
            spacing="0", flex="1", min_width="0",
        ),
        rx.cond(e["state"].to(str) == "offered",
                rx.link(rx.button("Check out", size="2"), href="/cart/" + e["hold_id"].to(str))),
        rx.button("Leave", type="button", variant="soft", color_scheme="gray", size="2",
                  on_click=WaitlistState.leave(e["id"].to(str))),
        align="center", spacing="3", width="100%", wrap="wrap", class_name="my-waitlist-entry",
    )


def my_waitlists() -> rx.Component:
    """My tickets: the waiting lists the customer is on (nothing when none)."""
    return rx.cond(
        WaitlistState.mine.length() > 0,
        rx.card(rx.vstack(rx.heading("Waiting lists", size="4", as_="h2"),
                          rx.foreach(WaitlistState.mine, _mine_row), spacing="3", width="100%"),
                width="100%", id="my-waitlists"),
    )
