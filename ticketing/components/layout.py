"""The page frame: top bar (brand, organization switcher, account menu), content, footer."""

from __future__ import annotations

import reflex as rx

from ticketing.state.auth import AuthState

MAX_WIDTH = "72rem"


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(rx.icon("ticket", size=18, color="white"), class_name="brand-mark"),
            rx.text("Ticketing", weight="bold", size="4", color=rx.color("gray", 12)),
            align="center",
            spacing="2",
        ),
        href="/",
        underline="none",
        aria_label="Ticketing home",
    )


def org_switcher() -> rx.Component:
    """Staff only: which organization the console works on."""
    return rx.cond(
        AuthState.is_staff,
        rx.el.label(
            rx.el.span("Organization", class_name="sr-only"),
            rx.select.root(
                rx.select.trigger(placeholder="Organization", aria_label="Switch organization", max_width="12rem"),
                rx.select.content(
                    rx.foreach(
                        AuthState.memberships,
                        lambda m: rx.select.item(m["name"], value=m["id"]),
                    ),
                ),
                value=AuthState.current_org["id"],
                on_change=AuthState.select_org,
                size="2",
            ),
        ),
    )


def account_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.initials, size="1", radius="full"),
                rx.text(AuthState.user_name, class_name="hide-sm", size="2"),
                # Named by what it shows (initials, name) plus what it is: a label that differs
                # from the visible text confuses voice control ("click Casey").
                rx.el.span(" — account menu", class_name="sr-only"),
                rx.icon("chevron-down", size=14, aria_hidden="true"),
                variant="ghost",
                color_scheme="gray",
                id="account-menu",
            ),
        ),
        rx.menu.content(
            rx.box(rx.text(AuthState.user_email, size="1", color=rx.color("gray", 11)), padding="0.25rem 0.75rem"),
            rx.menu.separator(),
            rx.menu.item("My tickets", on_click=rx.redirect("/tickets")),
            rx.menu.item("Organizations", on_click=rx.redirect("/orgs")),
            rx.cond(AuthState.is_staff, rx.menu.item("Venues", on_click=rx.redirect("/manage/venues"))),
            rx.cond(AuthState.is_staff, rx.menu.item("Broker", on_click=rx.redirect("/manage/broker/orders"))),
            rx.cond(AuthState.is_staff, rx.menu.item("Door check-in", on_click=rx.redirect("/door"), id="nav-door")),
            rx.menu.item("New organization", on_click=rx.redirect("/orgs/new")),
            rx.menu.separator(),
            rx.menu.item("Sign out", on_click=AuthState.sign_out, color="red", id="sign-out"),
            rx.menu.item("Sign out everywhere", on_click=AuthState.sign_out_everywhere, color="red",
                         id="sign-out-everywhere"),
        ),
    )


def top_bar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            rx.cond(
                AuthState.signed_in,
                rx.hstack(
                    rx.link(rx.hstack(rx.icon("ticket", size=16), rx.text("My tickets", size="2"), spacing="1",
                                      align="center"), href="/tickets", id="nav-my-tickets", underline="none",
                            class_name="hide-sm"),  # on phones: in the account menu (the bar is full)
                    org_switcher(), account_menu(), spacing="3", align="center",
                ),
                rx.hstack(
                    rx.link(rx.button("Sign in", variant="soft", size="2"), href="/login", id="nav-sign-in"),
                    rx.link(rx.button("Create account", size="2"), href="/register", class_name="hide-sm"),
                    spacing="2",
                ),
            ),
            align="center",
            max_width=MAX_WIDTH,
            margin_x="auto",
            padding_x="1rem",
            height="3.75rem",
            width="100%",
        ),
        class_name="top-bar",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.hstack(
            rx.text("© Ticketing", size="1", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.text("Secure payments by Stripe", size="1", color=rx.color("gray", 11)),
            max_width=MAX_WIDTH,
            margin_x="auto",
            padding="1.5rem 1rem",
            width="100%",
        ),
        class_name="footer",
    )


def page_shell(*children: rx.Component, width: str = MAX_WIDTH) -> rx.Component:
    """A full page: top bar, main content (constrained width), footer."""
    return rx.box(
        rx.el.a("Skip to content", href="#main", class_name="skip-link"),
        top_bar(),
        rx.el.main(
            rx.box(*children, max_width=width, margin_x="auto", padding="1.5rem 1rem 3rem", width="100%"),
            id="main",
        ),
        footer(),
        class_name="app-root",
    )


def guarded(content: rx.Component) -> rx.Component:
    """Render `content` only once the server has confirmed who is signed in."""
    return rx.cond(
        AuthState.signed_in,
        content,
        rx.center(rx.spinner(size="3"), padding="4rem", aria_label="Loading"),
    )
