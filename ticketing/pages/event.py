"""The customer's event page: details, sessions filling up live, ticket types."""

from __future__ import annotations

import reflex as rx

from ticketing.components.availability import live_indicator, session_card, ticket_type_row
from ticketing.components.basket import BasketView
from ticketing.components.code_box import code_box
from ticketing.components.forms import card
from ticketing.components.hold_button import hold_button
from ticketing.components.layout import page_shell
from ticketing.components.on_change import on_change
from ticketing.components.seat_links import seating_links
from ticketing.components.waitlist import waitlist_follower, waitlist_line
from ticketing.components.words import count_of
from ticketing.state.auth import AuthState
from ticketing.state.basket import basket
from ticketing.state.event_page import HOLD_REFUSALS_WORDED_HERE, EventPageState
from ticketing.state.waiting_room import WaitingRoomState


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
        rx.cond(e["cover"], rx.image(src=rx.get_upload_url(e["cover"]), alt="Cover image of " + e["title"], class_name="event-cover",
                                     id="event-cover")),
        rx.hstack(rx.badge(e["category"], variant="soft"), rx.spacer(), live_indicator(EventPageState.live),
                  width="100%", align="center", data_worker=EventPageState.worker, id="event-head"),
        rx.heading(e["title"], size="8", as_="h1", id="event-title"),
        rx.hstack(rx.icon("calendar", size=16), rx.text(e["when"]), color=rx.color("gray", 11), align="center"),
        rx.hstack(rx.icon("map-pin", size=16, aria_hidden="true"), rx.text(e["location"]),
                  rx.cond(e["map_url"] != "", rx.link("Map", href=e["map_url"], is_external=True, size="2",
                                                      id="map-link", aria_label="Map of " + e["location"])),
                  color=rx.color("gray", 11), align="center", wrap="wrap"),
        rx.cond(e["organizer"] != "", rx.hstack(rx.icon("building-2", size=16, aria_hidden="true"),
                                                rx.text("Organized by ", rx.text.strong(e["organizer"])),
                                                color=rx.color("gray", 11), align="center", id="event-organizer")),
        rx.cond(e["status"] == "cancelled",
                rx.callout("This event has been cancelled.", icon="circle-alert", color_scheme="red")),
        rx.text(e["description"], size="3", white_space="pre-line"),
        spacing="3",
        width="100%",
        align="start",
    )


def with_figures(row: rx.Var[dict]) -> rx.Var[dict]:
    """A session or ticket type as listed, with its live figures (pushed apart, by id)."""
    return row.to(dict).merge(EventPageState.figures[row["id"].to(str)].to(dict))


def _ticket_type(t: rx.Var[dict]) -> rx.Component:
    return ticket_type_row(t, quantity_picker(t), rule_note(EventPageState.rules.get(t["id"].to(str), "").to(str)),
                           waitlist_line(t))


def quantity_picker(t: rx.Var[dict]) -> rx.Component:
    """− n + for one ticket type; hidden when it cannot be bought; seated ones are bought by
    choosing seats on the map instead."""
    qty = BASKET.quantity(t["id"].to(str))
    return rx.cond(
        t["seated"].to(bool),
        rx.cond(t["is_available"].to(bool),
                rx.link(rx.button(rx.icon("armchair", size=16), "Choose seats", size="2", variant="soft",
                                  aria_label="Choose seats: " + t["name"].to(str)),
                        href=t["seat_href"].to(str), class_name="choose-seats")),
        _picker(t, qty),
    )


def _picker(t: rx.Var[dict], qty: rx.Var[int]) -> rx.Component:
    return rx.cond(
        t["is_available"].to(bool),
        rx.hstack(
            rx.icon_button(rx.icon("minus", size=16), on_click=BASKET.change(t["id"].to(str), -1),
                           variant="soft", size="2", disabled=qty == 0,
                           aria_label="One less: " + t["name"].to(str), class_name="qty-minus"),
            rx.text(qty.to(str), weight="bold", min_width="1.5rem", text_align="center", class_name="qty-value",
                    aria_live="polite", aria_label=qty.to(str) + " × " + t["name"].to(str)),
            rx.icon_button(rx.icon("plus", size=16), on_click=BASKET.change(t["id"].to(str), 1),
                           variant="soft", size="2", aria_label="One more: " + t["name"].to(str),
                           # The order's maximum, the type's own maximum, or what is left: no more.
                           disabled=~BASKET.can_add(t["id"].to(str)),
                           class_name="qty-plus"),
            spacing="2",
            align="center",
            class_name="qty",
        ),
    )


def promo_box() -> rx.Component:
    """"Have a promo code?": a link that opens a field; the code's effect or why it is refused."""
    s = EventPageState
    return code_box(id_prefix="promo", is_open=s.promo_open, value=s.promo_code, on_change=s.set_promo_code,
                    on_apply=s.apply_code(BASKET.shown()), on_toggle=s.toggle_promo, error=s.promo_error,
                    note=s.promo_note, on_remove=s.remove_code, placeholder="Promo code", apply_label="Apply",
                    toggle=("ticket-percent", "Have a promo code?"), note_icon="circle-check")


def access_box() -> rx.Component:
    """"Have an access code?" for presales: a field, what the code opens or why it is refused."""
    s = EventPageState
    return code_box(id_prefix="access", is_open=s.access_open, value=s.access_code, on_change=s.set_access_code,
                    on_apply=s.apply_access_code, on_toggle=s.toggle_access, error=s.access_error,
                    note=s.access_note, on_remove=s.remove_access_code, placeholder="Presale access code",
                    apply_label="Unlock", toggle=("key-round", "Have an access code?"), note_icon="lock-open")


def with_access(t: rx.Var[dict]) -> rx.Var[dict]:
    """The row as this buyer's access code makes it: live pushes carry the view without a code
    (`presale_only`); a type the code opens is buyable with the places left, within its quota."""
    s = EventPageState
    type_id = t["id"].to(str)
    cap = s.presale_open[type_id].to(int)
    left = t["available"].to(int)
    units = rx.cond(left < cap, left, cap)
    opens = s.presale_open.contains(type_id)
    row = rx.cond(opens & (t["reason"].to(str) == "presale_only"),
                  t.merge({"is_available": units > 0, "reason": "", "available": units}), t).to(dict)
    # The seat map opens a presale's seat block with the code too.
    return rx.cond(opens, row.merge({"seat_href": t["seat_href"].to(str) + "?access_code=" + s.access_code}),
                   row).to(dict)


# The basket lives in the browser ("+" and "−" send nothing to the server): what it shows, from
# what the page already has.
BASKET = BasketView(
    page=rx.Var.create({"ticket_types": EventPageState.ticket_types, "figures": EventPageState.figures,
                        "presale_open": EventPageState.presale_open, "type_max": EventPageState.type_max,
                        "max_per_order": EventPageState.max_per_order}),
    discount_minor=EventPageState.promo_discount_minor, money_form=EventPageState.money_form)


def rule_note(text: rx.Var[str]) -> rx.Component:
    """A ticket type's rules in words (prerequisites, per-order limits), before a hold refuses."""
    return rx.cond(text != "", rx.hstack(rx.icon("info", size=14, flex_shrink="0", margin_top="2px", aria_hidden="true"),
                                         rx.text(text, size="1"), spacing="1", align="start",
                                         color=rx.color("indigo", 11), class_name="type-rule"))


def discount_follower() -> rx.Component:
    """While a promo code is applied, each change of the basket asks the server for its discount
    (the only time a "+" or "−" sends an event)."""
    s = EventPageState
    return rx.cond((s.promo_code != "") & ((s.promo_note != "") | (s.promo_error != "")),
                   on_change(value=BASKET.shown().to_string(), on_change=s.quote_basket(BASKET.shown())))


def buy_bar() -> rx.Component:
    """Total of the chosen tickets and the button that holds them: the browser holds its basket
    through the JSON API (components/hold_button.py), no Reflex event."""
    s = EventPageState
    return rx.vstack(
        promo_box(),
        discount_follower(),
        hold_button(
            rx.vstack(
                rx.text(count_of(BASKET.count(), "ticket"), size="2", color=rx.color("gray", 11),
                        id="basket-count"),
                rx.text(BASKET.total(), size="5", weight="bold", id="basket-total"),
                rx.cond(s.promo_discount != "",
                        rx.text("You save ", s.promo_discount, size="2", color=rx.color("green", 11),
                                id="basket-discount")),
                spacing="0",
            ),
            event_id=s.event["id"].to(str), basket=BASKET.shown(), promo_code=s.promo_code,
            access_code=s.access_code, promo_field="promo-input", access_field="access-input", auth_token=AuthState.token, admissions=WaitingRoomState.admissions,
            keeps_code=(s.promo_code != "") | (s.buy_error != ""), server_message=s.buy_error,
            server_codes=HOLD_REFUSALS_WORDED_HERE,
            on_empty_basket=basket.set_value({}), on_forget=s.held, on_go=lambda path: rx.redirect(path),
            on_refused=s.hold_refused,
        ),
        rx.text("Your tickets are held for a few minutes while you check out.", size="1",
                color=rx.color("gray", 11)),
        spacing="3",
        width="100%",
        padding_top="1rem",
        class_name="buy-bar",
    )


def event_page() -> rx.Component:
    content = rx.vstack(
        _details(),
        seating_links(),
        rx.grid(
            rx.vstack(
                rx.heading("Sessions", size="5", as_="h2"),
                rx.box(rx.foreach(EventPageState.sessions, lambda s: session_card(with_figures(s))),
                       class_name="session-grid", width="100%", id="sessions"),
                spacing="3",
                width="100%",
            ),
            card(
                rx.heading("Tickets", size="5", as_="h2"),
                rx.box(rx.foreach(EventPageState.ticket_types, lambda t: _ticket_type(with_access(with_figures(t)))),
                       width="100%", id="ticket-types"),
                rx.cond((EventPageState.event["status"] == "published") & EventPageState.asks_access_code, access_box()),
                waitlist_follower(EventPageState.version),
                rx.cond(BASKET.full() & EventPageState.sells_quantities,
                        rx.text("That is the most one order can have (", EventPageState.max_per_order.to(str),
                                " tickets).", size="1", color=rx.color("amber", 11), id="order-max-note",
                                padding_top="0.5rem")),
                rx.cond((EventPageState.event["status"] == "published") & EventPageState.sells_quantities, buy_bar()),
                rx.cond(~EventPageState.sells_quantities & (EventPageState.ticket_types.length() > 0),
                        rx.text("Seats are chosen on the seat map; the figures are free seats per category, live.",
                                size="1", color=rx.color("gray", 11), padding_top="0.75rem", id="seated-note")),
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
