"""Forgot password (/forgot-password) and choosing a new one through the mailed link
(/reset-password?token=...); and the page that tells a customer a page is for event staff."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, form_error, text_field
from ticketing.components.layout import page_shell
from ticketing.components.orders import notice
from ticketing.state.password_reset import PasswordResetState as P


def _frame(title: str, subtitle: str, body: rx.Component) -> rx.Component:
    return page_shell(rx.center(rx.vstack(
        rx.heading(title, size="7", as_="h1"), rx.text(subtitle, color=rx.color("gray", 11)), card(body),
        rx.text(rx.link("Back to sign in", href="/login"), size="2"),
        spacing="4", width="100%", max_width="26rem", padding_top="2rem",
    )))


def forgot_password_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            form_error(P.error),
            text_field("Email", "email", type="email", autocomplete="email", placeholder="you@example.com"),
            rx.button("Send me a link", type="submit", size="3", width="100%", loading=P.busy, id="reset-request"),
            spacing="4",
        ),
        on_submit=P.request_link, reset_on_submit=False, aria_label="Ask for a password reset link",
    )
    sent = notice("Check your mail", "If an account exists for " + P.sent_to + ", we have sent it a link to "
                  "choose a new password. The link works once, for 30 minutes.", "green", "mail-check",
                  id="reset-sent")
    return _frame("Forgot your password?", "We email you a link to choose a new one.",
                  rx.cond(P.sent_to != "", sent, form))


def reset_password_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            rx.text("New password for ", rx.text.strong(P.email), size="2"),
            form_error(P.error),
            text_field("New password", "password", type="password", autocomplete="new-password",
                       hint="At least 8 characters."),
            text_field("Repeat password", "password_confirm", type="password", autocomplete="new-password"),
            rx.button("Save the new password", type="submit", size="3", width="100%", loading=P.busy,
                      id="reset-submit"),
            spacing="4",
        ),
        on_submit=P.save_password, reset_on_submit=False, aria_label="Choose a new password",
    )
    body = rx.cond(
        P.done,
        rx.vstack(notice("Password changed", "Sign in with your new password. Other devices were signed out.",
                         "green", "circle-check", id="reset-done"),
                  rx.link(rx.button("Sign in", size="3", width="100%"), href="/login", width="100%"),
                  spacing="3", width="100%"),
        rx.cond(P.link_error != "",
                rx.vstack(notice("This link cannot be used", P.link_error, "amber", "link-2-off", id="reset-bad-link"),
                          rx.link(rx.button("Ask for a new link", size="3", width="100%"), href="/forgot-password",
                                  width="100%"),
                          spacing="3", width="100%"),
                form),
    )
    return _frame("Choose a new password", "Pick one you do not use anywhere else.", body)


def staff_only_page() -> rx.Component:
    body = rx.vstack(
        notice("This page is for event staff", "It belongs to an organization's console (organizers and door "
               "staff). Your account has no staff role: ask the organization's owner to add you, or start "
               "selling your own events.", "indigo", "shield-alert", id="staff-only"),
        rx.hstack(rx.link(rx.button("Find events", size="3"), href="/"),
                  rx.link(rx.button("Start selling tickets", size="3", variant="soft"), href="/orgs/new"),
                  spacing="3", wrap="wrap"),
        spacing="3", width="100%",
    )
    return page_shell(rx.center(rx.vstack(rx.heading("Staff only", size="7", as_="h1"), card(body), spacing="4",
                                          width="100%", max_width="30rem", padding_top="2rem")))
