"""Sign-in and registration pages."""

from __future__ import annotations

import reflex as rx

from ticketing.components.forms import card, form_error, text_field
from ticketing.components.layout import page_shell
from ticketing.state.auth import AuthState


def _auth_card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return page_shell(
        rx.center(
            rx.vstack(
                rx.heading(title, size="7", as_="h1"),
                rx.text(subtitle, color=rx.color("gray", 11)),
                card(form),
                footer,
                spacing="4",
                width="100%",
                max_width="26rem",
                padding_top="2rem",
            ),
        ),
    )


def login_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            form_error(AuthState.form_error),
            text_field("Email", "email", type="email", autocomplete="email", placeholder="you@example.com"),
            text_field("Password", "password", type="password", autocomplete="current-password"),
            rx.link("Forgot your password?", href="/forgot-password", size="2", id="forgot-password"),
            rx.button("Sign in", type="submit", size="3", width="100%", loading=AuthState.busy, id="sign-in-submit"),
            spacing="4",
        ),
        on_submit=AuthState.sign_in,
        reset_on_submit=False,
        aria_label="Sign in",
    )
    footer = rx.text(
        "New here? ", rx.link("Create an account", href="/register"), size="2", color=rx.color("gray", 11)
    )
    return _auth_card("Welcome back", "Sign in to see your tickets and manage your events.", form, footer)


def register_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            form_error(AuthState.form_error),
            text_field("Full name", "name", autocomplete="name", placeholder="Ada Lovelace"),
            text_field("Email", "email", type="email", autocomplete="email", placeholder="you@example.com",
                       on_change=AuthState.clear_error.debounce(300)),
            text_field("Password", "password", type="password", autocomplete="new-password",
                       hint="At least 8 characters."),
            text_field("Repeat password", "password_confirm", type="password", autocomplete="new-password"),
            rx.button("Create account", type="submit", size="3", width="100%", loading=AuthState.busy,
                      id="register-submit"),
            spacing="4",
        ),
        on_submit=AuthState.register,
        reset_on_submit=False,
        aria_label="Create account",
    )
    footer = rx.text(
        "Already have an account? ", rx.link("Sign in", href="/login"), size="2", color=rx.color("gray", 11)
    )
    return _auth_card("Create your account", "Buy tickets in seconds, or start selling your own events.", form, footer)
