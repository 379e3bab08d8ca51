"""The customer's seat map: pick seats on the map or ask for the best available, then hold them."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import page_shell
from ticketing.components.code_box import code_box
from ticketing.components.seat_map import after_seat_map, seat_map
from ticketing.components.words import count_of
from ticketing.state.auth import AuthState
from ticketing.state.seat_map import SeatMapState

S = SeatMapState


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("This seat map is not available", size="5", as_="h1"),
            rx.text("The performance may not be on sale, or the link is wrong."),
            rx.link(rx.button("See all events"), href="/"),
            align="center",
            spacing="3",
        ),
        padding="4rem 1rem",
    )


def _header() -> rx.Component:
    """The map is drawn from the URL before the page's state arrives, so every line here keeps its
    height while empty (a no-break space): the map below does not jump when the details come in,
    under a thumb about to tap a seat."""
    e = S.event
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Back to the event", size="2"), align="center",
                          spacing="1"), href="/events/" + e["id"].to(str), color=rx.color("gray", 11)),
        rx.heading(rx.cond(e["title"], e["title"], "\u00a0"), size="7", as_="h1", id="seat-title"),
        rx.vstack(
            rx.hstack(rx.icon("calendar", size=16),
                      rx.text(rx.cond(e["session"], e["session"].to(str) + " · " + e["when"].to(str), "\u00a0")),
                      align="center", spacing="1"),
            rx.hstack(rx.icon("map-pin", size=16), rx.text(rx.cond(e["location"], e["location"], "\u00a0")),
                      align="center", spacing="1"),
            color=rx.color("gray", 11), spacing="1",
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def _best_available() -> rx.Component:
    return rx.vstack(
        rx.heading("Best available", size="3", as_="h2"),
        rx.hstack(
            rx.box(rx.select.root(
                rx.select.trigger(aria_label="Number of seats", width="100%"),
                rx.select.content(*[rx.select.item(str(n), value=str(n)) for n in range(1, 11)]),
                value=S.best_count, on_change=S.set_best_count, size="2",
            ), width="4.5rem", flex_shrink="0"),
            rx.box(
                rx.select.root(
                    rx.select.trigger(aria_label="How to seat you", width="100%"),
                    rx.select.content(
                        rx.select.item("Best available", value="best"),
                        rx.select.item("Side by side only", value="adjacent"),
                        rx.select.item("Same section", value="same_section"),
                    ),
                    value=S.best_mode, on_change=S.set_best_mode, size="2",
                ),
                flex="1", min_width="0",
            ),
            spacing="2", width="100%",
        ),
        rx.hstack(
            rx.box(rx.select.root(
                rx.select.trigger(aria_label="Price", width="100%"),
                rx.select.content(rx.select.item("Any price", value="any"),
                                  rx.foreach(S.level_options, lambda lv: rx.select.item(lv["name"], value=lv["id"]))),
                value=S.best_level, on_change=S.set_best_level, size="2",
            ), flex="1", min_width="0"),
            rx.box(rx.select.root(
                rx.select.trigger(aria_label="Section", width="100%"),
                rx.select.content(rx.select.item("Any section", value="any"),
                                  rx.foreach(S.section_options, lambda s: rx.select.item(s, value=s))),
                value=S.best_section, on_change=S.set_best_section, size="2",
            ), flex="1", min_width="0"),
            spacing="2", width="100%",
        ),
        rx.checkbox("Include a wheelchair space with a companion seat", checked=S.wheelchair,
                    on_change=S.set_wheelchair, size="2"),
        rx.button(rx.icon("sparkles", size=16), "Find seats", on_click=S.find_best, variant="soft", width="100%",
                  id="find-best"),
        spacing="2",
        width="100%",
        align="start",
    )


def _selected_row(s: rx.Var[dict]) -> rx.Component:
    return rx.hstack(
        rx.box(class_name="seat-swatch", background=s["color"].to(str)),
        rx.vstack(
            rx.text(s["label"], size="2", weight="medium"),
            rx.text(s["level"], size="1", color=rx.color("gray", 11)),
            spacing="0", flex="1", min_width="0",
        ),
        rx.text(s["price"], size="2"),
        width="100%", align="center", spacing="2", class_name="selected-seat",
    )


def _selection() -> rx.Component:
    return rx.vstack(
        rx.heading("Your seats", size="3", as_="h2"),
        rx.cond(
            S.has_selection,
            rx.vstack(
                rx.foreach(S.selected, _selected_row),
                rx.divider(),
                rx.hstack(rx.text("Total", weight="bold"), rx.spacer(), rx.text(S.total, weight="bold", id="total"),
                          width="100%"),
                rx.button(rx.cond(AuthState.signed_in, "Hold these seats", "Sign in to hold these seats"),
                          on_click=S.hold_selected, loading=S.busy, size="3", width="100%", id="hold-seats"),
                spacing="2", width="100%", id="selected-seats",
            ),
            rx.text("Tap seats on the map, or let us find the best ones.", size="2", color=rx.color("gray", 11)),
        ),
        rx.cond(S.hold.length() == 0,
                code_box(id_prefix="seat-promo", is_open=S.promo_open, value=S.promo_code,
                         on_change=S.set_promo_code, on_apply=S.apply_code, on_toggle=S.toggle_promo,
                         error=S.promo_error, note=S.promo_note, on_remove=S.remove_code)),
        spacing="2",
        width="100%",
        align="start",
    )


def _hold() -> rx.Component:
    h = S.hold
    return rx.callout.root(
        rx.callout.icon(rx.icon("timer")),
        rx.callout.text(
            rx.text(rx.text.strong(count_of(h["seats"], "seat"), " held for you"), " until ", h["until"], " · ", h["total"]),
        ),
        rx.hstack(
            rx.link(rx.button("Continue to checkout", size="2"), href="/cart/" + h["id"].to(str), id="to-checkout"),
            rx.button("Release", variant="soft", color_scheme="gray", size="2", on_click=S.release, id="release"),
            spacing="2", wrap="wrap",
        ),
        rx.moment(interval=5000, on_change=S.check_hold, display="none"),
        color_scheme="indigo", width="100%", id="hold-panel",
    )


def _panel() -> rx.Component:
    return card(
        rx.vstack(
            rx.cond(S.hold.length() > 0, _hold()),
            rx.cond(S.error != "", rx.callout(S.error, icon="circle-alert", color_scheme="red", width="100%",
                                             role="alert", id="seat-error")),
            rx.cond(S.note != "", rx.callout(S.note, icon="info", width="100%", id="seat-note")),
            _selection(),
            rx.divider(),
            _best_available(),
            spacing="4",
            width="100%",
        ),
    )


def _sheet() -> rx.Component:
    """Phones: a bar fixed to the bottom with the chosen seats' count and total and the Hold
    button (or the way to checkout), so nothing scrolls away while the map is explored."""
    return rx.cond(
        S.has_selection | (S.hold.length() > 0),
        rx.box(
            rx.cond(
                S.has_selection,
                rx.hstack(
                    rx.vstack(rx.text(count_of(S.selected.length(), "seat"), size="2", weight="medium"),
                              rx.text(S.total, size="3", weight="bold"), spacing="0"),
                    rx.spacer(),
                    rx.button(rx.cond(AuthState.signed_in, "Hold seats", "Sign in to hold"), on_click=S.hold_selected,
                              loading=S.busy, size="3", id="sheet-hold"),
                    align="center", width="100%",
                ),
                rx.hstack(
                    rx.text(count_of(S.hold["seats"], "seat"), " held · ", S.hold["total"], size="2", weight="medium"),
                    rx.spacer(),
                    rx.link(rx.button("Checkout", size="3"), href="/cart/" + S.hold["id"].to(str), id="sheet-checkout"),
                    align="center", width="100%",
                ),
            ),
            class_name="seat-sheet", id="seat-sheet",
        ),
    )


def seat_map_page() -> rx.Component:
    content = rx.vstack(
        _header(),
        rx.box(
            rx.box(
                seat_map(layout_url=S.layout_url, status_url=S.status_url, delta=S.seat_delta, mine=S.mine,
                         select_request=S.select_request, max_select=S.max_select, mode="customer",
                         auth_token=AuthState.token, height="min(70vh, 640px)", on_select=S.choose,
                         on_mine_change=S.refresh_hold, id="seat-map"),
                min_width="0",
            ),
            after_seat_map(_panel(), map="seat-map"),  # the map's first frame comes first
            class_name="seat-layout",
            width="100%",
        ),
        _sheet(),
        spacing="4",
        width="100%",
        on_unmount=S.leave,
    )
    return page_shell(rx.cond(S.missing, _missing(), content), width="90rem")
