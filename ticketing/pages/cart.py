"""The cart page: held tickets, locked prices, total, the time left, check out or release."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, form_error
from ticketing.components.layout import guarded, page_shell
from ticketing.components.countdown import countdown
from ticketing.components.orders import line_table, notice
from ticketing.components.code_box import code_box
from ticketing.state.cart import CartState


def _attendees() -> rx.Component:
    return rx.cond(
        CartState.attendee_slots.length() > 0,
        rx.vstack(
            rx.heading("Who is coming?", size="4", as_="h2"),
            rx.text("Each ticket is issued in its attendee's name; without an email, it is sent to you.", size="2",
                    color=rx.color("gray", 11)),
            rx.foreach(
                CartState.attendee_slots,
                lambda label, i: rx.vstack(
                    rx.text(label, weight="medium", size="2"),
                    rx.cond(
                        i == 0,
                        rx.checkbox("Same as me", checked=CartState.first_is_me, on_change=CartState.set_first_is_me,
                                    size="2", id="same-as-me"),
                    ),
                    rx.cond(
                        (i == 0) & CartState.first_is_me,
                        rx.text(CartState.buyer_label, size="2", color=rx.color("gray", 11), id="first-attendee-me"),
                        rx.grid(
                            rx.input(name=f"name_{i}", placeholder="Full name", required=True, size="3",
                                     aria_label=label + ": name", auto_complete="off", class_name="attendee-name"),
                            rx.input(name=f"email_{i}", placeholder="Email (optional)", type="email", size="3",
                                     aria_label=label + ": email (optional)", auto_complete="off",
                                     class_name="attendee-email"),
                            columns=rx.breakpoints(initial="1", sm="2"), spacing="2", width="100%",
                        ),
                    ),
                    width="100%", spacing="1", class_name="attendee-slot",
                ),
            ),
            width="100%",
            spacing="3",
        ),
    )


def _promo() -> rx.Component:
    """"Have a promo code?" to put one on the hold (the code on it shows in the discount row)."""
    s = CartState
    return code_box(id_prefix="cart-promo", is_open=s.promo_open, value=s.promo_input,
                    on_change=s.set_promo_input, on_apply=s.apply_code, on_toggle=s.toggle_promo,
                    error=s.promo_error, can_open=s.promo_code == "")


def _discount_row() -> rx.Component:
    return rx.cond(
        CartState.discount != "",
        rx.hstack(
            rx.icon("ticket-percent", size=16, color=rx.color("green", 11)),
            rx.text("Code ", rx.text.strong(CartState.promo_code), size="2"),
            rx.cond(CartState.status == "active",
                    rx.button("Remove", type="button", variant="ghost", size="1", color_scheme="gray",
                              on_click=CartState.remove_code, id="cart-promo-remove")),
            rx.spacer(),
            rx.text("−", CartState.discount, color=rx.color("green", 11), weight="medium", id="cart-discount"),
            width="100%", align="center",
        ),
    )


def _active() -> rx.Component:
    return rx.form(
        rx.vstack(
            _attendees(),
            form_error(CartState.error),
            rx.button(rx.cond(CartState.busy, rx.spinner(size="2"),
                              rx.cond(CartState.free, rx.icon("ticket", size=18), rx.icon("credit-card", size=18))),
                      rx.cond(CartState.free, "Get my tickets", "Continue to payment"), type="submit", size="3",
                      width="100%", disabled=CartState.busy, id="checkout-button"),
            rx.button("Release these tickets", type="button", variant="ghost", color_scheme="gray", width="100%",
                      on_click=CartState.release, id="release-button"),
            spacing="3",
            width="100%",
        ),
        on_submit=CartState.checkout,
        width="100%",
    )


def _expired() -> rx.Component:
    return rx.vstack(
        notice("Your hold has expired", "The tickets were held for you for a limited time. If they are still "
               "free you can get them again — today's prices apply.", "amber", "timer-off", id="hold-expired"),
        form_error(CartState.error),
        rx.form(rx.button("Try to get them again", type="submit", size="3", width="100%", id="retake-button"),
                on_submit=CartState.checkout, width="100%"),
        rx.link(rx.button("Back to the event", variant="soft", size="3", width="100%"),
                href="/events/" + CartState.event_id, width="100%"),
        spacing="3",
        width="100%",
    )


def _gone() -> rx.Component:
    return rx.vstack(
        notice("These tickets are gone", CartState.error, "red", "circle-x", id="hold-gone"),
        rx.link(rx.button("Choose other tickets", size="3", width="100%"), href="/events/" + CartState.event_id,
                width="100%"),
        spacing="3",
        width="100%",
    )


def _cart() -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.text("Your tickets", size="2", color=rx.color("gray", 11)),
                          rx.heading(CartState.event_title, size="5", as_="h1", id="cart-title"), spacing="1"),
                rx.spacer(),
                rx.cond(CartState.status == "active", countdown(remaining=CartState.remaining, until=CartState.deadline,
                                                                label="left", on_expire=CartState.expire)),
                width="100%",
                align="start",
                wrap="wrap",
                spacing="3",
            ),
            line_table(CartState.lines, CartState.total, _discount_row()),
            rx.cond(CartState.status == "active",
                    rx.text("Prices are locked while your tickets are held.",
                            rx.cond(~CartState.free, rx.fragment(
                                " When you continue to payment, your tickets are reserved afresh and you have ",
                                CartState.pay_minutes.to(str), " minutes to pay.")),
                            size="1", color=rx.color("gray", 11), id="clock-note")),
            # Outside the checkout form: Enter in the code's field applies the code, never pays.
            rx.cond(CartState.status == "active", _promo()),
            rx.match(
                CartState.status,
                ("active", _active()),
                ("expired", _expired()),
                ("gone", _gone()),
                notice("This cart is closed", "These tickets were released.", "gray", "info"),
            ),
            spacing="4",
            width="100%",
        ),
    )


def cart_page() -> rx.Component:
    missing = rx.center(
        rx.vstack(rx.heading("Cart not found", size="5"), rx.link(rx.button("See events"), href="/"),
                  align="center", spacing="3"),
        padding="4rem 1rem",
    )
    return page_shell(
        guarded(
            rx.box(
                rx.cond(CartState.status == "missing", missing, _cart()),
                max_width="36rem",
                margin_x="auto",
                width="100%",
            )
        )
    )
