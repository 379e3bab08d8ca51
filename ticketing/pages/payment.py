"""The payment page: order summary, time left to pay, Stripe's card form, a clear way forward
when the card is declined or the time runs out."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card
from ticketing.components.layout import guarded, page_shell
from ticketing.components.countdown import countdown
from ticketing.components.orders import line_table, notice, promo_row
from ticketing.state.payment import PaymentState


def _card_form() -> rx.Component:
    return rx.vstack(
        rx.heading("Pay by card", size="4", as_="h2"),
        rx.box(id="card-element", class_name="card-element", width="100%"),
        rx.cond(
            PaymentState.card_error != "",
            rx.callout(PaymentState.card_error, icon="credit-card", color_scheme="red", role="alert", width="100%",
                       id="card-error"),
        ),
        rx.cond(PaymentState.error != "",
                rx.callout(PaymentState.error, icon="triangle-alert", color_scheme="red", role="alert", width="100%")),
        rx.button(
            rx.cond(PaymentState.status == "paying", rx.spinner(size="2"), rx.icon("lock", size=16)),
            rx.cond(PaymentState.status == "paying", "Paying…", "Pay " + PaymentState.total),
            on_click=PaymentState.pay,
            size="3",
            width="100%",
            disabled=PaymentState.status != "ready",
            id="pay-button",
        ),
        rx.cond(
            PaymentState.test_mode,
            rx.text("Test mode: pay with 4242 4242 4242 4242, any future date and CVC. "
                    "4000 0000 0000 0341 is declined.", size="1", color=rx.color("gray", 11), id="test-cards"),
        ),
        rx.hstack(rx.icon("shield-check", size=14), rx.text("Card details go straight to Stripe; we never see "
                  "them. You are charged once, when you press Pay.", size="1"),
                  color=rx.color("gray", 11), align="center", spacing="1"),
        spacing="3",
        width="100%",
    )


def _closed() -> rx.Component:
    back = rx.link(rx.button("Back to the event", size="3", width="100%"), href="/events/" + PaymentState.event_id,
                   width="100%")
    return rx.match(
        PaymentState.status,
        ("expired", rx.vstack(notice("Time to pay ran out", "Your tickets were released and nothing was charged. "
                                     "You can choose them again if they are still available.", "amber", "timer-off",
                                     id="payment-expired"), back, spacing="3", width="100%")),
        ("cancelled", rx.vstack(notice("This order was cancelled", "Nothing is due.", "gray", "circle-x"), back,
                                spacing="3", width="100%")),
        ("refunded", rx.vstack(notice("Your payment was refunded", PaymentState.error, "amber", "undo-2",
                                      id="payment-refunded"), back, spacing="3", width="100%")),
        ("confirmed", notice("Paid", "Taking you to your tickets…", "green", "circle-check")),
        _card_form(),
    )


def payment_page() -> rx.Component:
    missing = rx.center(rx.vstack(rx.heading("Order not found", size="5"), rx.link(rx.button("My tickets"),
                                  href="/tickets"), align="center", spacing="3"), padding="4rem 1rem")
    body = card(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.text("Order ", PaymentState.number, size="2", color=rx.color("gray", 11),
                                  id="order-number"),
                          rx.heading(PaymentState.event_title, size="5", as_="h1"), spacing="1"),
                rx.spacer(),
                rx.cond((PaymentState.status == "ready") | (PaymentState.status == "paying"),
                        countdown(remaining=PaymentState.remaining, until=PaymentState.deadline, label="to pay",
                                  on_expire=PaymentState.expire)),
                width="100%", align="start", wrap="wrap", spacing="3",
            ),
            rx.cond((PaymentState.status == "ready") | (PaymentState.status == "paying"),
                    rx.text("Your tickets are reserved for you while you pay: you have ", PaymentState.pay_minutes.to(str),
                            " minutes from checkout (the cart's timer no longer applies). A declined card keeps them.",
                            size="1", color=rx.color("gray", 11), id="clock-note")),
            line_table(PaymentState.lines, PaymentState.total,
                       promo_row(PaymentState.promo_code, PaymentState.discount)),
            _closed(),
            spacing="4",
            width="100%",
        ),
    )
    return page_shell(
        guarded(
            rx.box(
                rx.cond(PaymentState.status == "missing", missing, body),
                max_width="36rem", margin_x="auto", width="100%",
            )
        )
    )
