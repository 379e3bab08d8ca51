"""The organizer console's frame: event header with status and publishing, tab navigation,
the "changed elsewhere" notice, and small building blocks the console pages share."""

from __future__ import annotations

import reflex as rx

from ticketing.components.layout import guarded, page_shell
from ticketing.components.on_change import on_change as version_changed
from ticketing.state.console.base import ConsoleLiveState, ConsoleState

TABS = (
    ("setup", "Setup", "settings-2", "/setup"),
    ("sessions", "Sessions", "calendar-days", "/sessions"),
    ("tickets", "Tickets", "ticket", "/tickets"),
    ("schedules", "Recurring", "repeat", "/schedules"),
    ("attendees", "Attendees", "users", "/attendees"),
    ("promotions", "Promo codes", "ticket-percent", "/promo-codes"),
    ("presales", "Presales", "key-round", "/presales"),
    ("waitlist", "Waiting lists", "list-ordered", "/waitlist"),
    ("waiting-room", "Waiting room", "hourglass", "/waiting-room"),
    ("reports", "Reports", "chart-column", "/reports"),
    ("live", "Live", "activity", ""),
)
STATUS_COLORS = {"draft": "gray", "published": "green", "cancelled": "red"}


def status_badge() -> rx.Component:
    return rx.match(
        ConsoleState.status,
        *[(key, rx.badge(ConsoleState.status_label, color_scheme=color, variant="soft", size="2", high_contrast=True,
                            id="event-status"))
          for key, color in STATUS_COLORS.items()],
        rx.badge(ConsoleState.status_label, id="event-status"),
    )


def confirm(trigger: rx.Component, title: str, body: rx.Component | str, action: rx.Component) -> rx.Component:
    """A confirmation dialog: `trigger` opens it, `action` (a button) does it."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(body, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep as it is", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(action),
                spacing="3",
                justify="end",
                margin_top="1rem",
                wrap="wrap",
            ),
            max_width="28rem",
        ),
    )


def publish_button(id: str = "publish") -> rx.Component:
    return confirm(
        rx.button(rx.icon("rocket", size=16), "Publish", loading=ConsoleState.status_busy, id=id),
        "Publish this event?",
        "Customers will see it on the home page and can buy tickets right away.",
        rx.button("Publish now", on_click=ConsoleState.publish, id="publish-confirm"),
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("chevron-left", size=14), rx.text("All events", size="2"), align="center",
                          spacing="1"), href="/orgs", color=rx.color("gray", 11), underline="none"),
        rx.hstack(
            rx.vstack(
                rx.heading(ConsoleState.title, size="7", as_="h1", id="console-title"),
                status_badge(),
                spacing="2",
                min_width="0",
            ),
            rx.spacer(),
            rx.hstack(
                rx.cond(ConsoleState.status != "draft",
                        rx.link(rx.button(rx.icon("external-link", size=16), "Public page", variant="soft"),
                                href="/events/" + ConsoleState.event_id, id="public-page")),
                rx.cond(ConsoleState.status == "draft", publish_button()),
                spacing="2",
                wrap="wrap",
            ),
            width="100%",
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        spacing="2",
        width="100%",
    )


def _tab(key: str, label: str, icon: str, suffix: str, active: str, base_url: rx.Var[str]) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=15), rx.text(label, size="2", weight="medium"), align="center", spacing="1"),
        href=base_url + suffix,
        class_name="console-tab active" if key == active else "console-tab",
        underline="none",
        id=f"tab-{key}",
        aria_current="page" if key == active else None,
    )


def console_tabs(active: str, base_url: rx.Var[str]) -> rx.Component:
    """The console's sections as tabs; `base_url` is /manage/events/<id>."""
    return rx.el.nav(
        *[_tab(key, label, icon, suffix, active, base_url) for key, label, icon, suffix in TABS],
        class_name="console-tabs", aria_label="Event console",
    )


def _changed_elsewhere() -> rx.Component:
    return rx.cond(
        (ConsoleLiveState.catalog_key != "") & (ConsoleLiveState.catalog_key != ConsoleState.loaded_key),
        rx.callout(
            rx.hstack(
                rx.text("This event was just changed in another tab or by a colleague."),
                rx.button("Show the latest", size="1", variant="soft", on_click=ConsoleState.reload_page),
                align="center", wrap="wrap", spacing="3",
            ),
            icon="refresh-cw", color_scheme="amber", width="100%", id="changed-elsewhere",
        ),
    )


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Event not found", size="5", as_="h1"),
            rx.text("It does not exist, or your role in its organization does not let you manage it."),
            rx.link(rx.button("Back to your events"), href="/orgs"),
            align="center", spacing="3",
        ),
        padding="4rem 1rem",
    )


def console_page(active: str, *content: rx.Component, on_unmount=None) -> rx.Component:
    """A console page: header, tabs, then `content` once the page's data has loaded."""
    body = rx.vstack(
        _header(),
        console_tabs(active, ConsoleState.base_url),
        _changed_elsewhere(),
        *content,
        spacing="4",
        width="100%",
        on_unmount=on_unmount or ConsoleState.leave,
    )
    return page_shell(guarded(rx.cond(
        ConsoleState.missing, _missing(),
        rx.cond(ConsoleState.loaded, body, rx.center(rx.spinner(size="3"), padding="4rem")),
    )))


def section(title: str, *children: rx.Component, hint: str = "", **props) -> rx.Component:
    """A white panel with a heading and an optional one-line explanation."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            *([rx.text(hint, size="2", color=rx.color("gray", 11))] if hint else []),
            *children,
            spacing="3",
            width="100%",
        ),
        size=rx.breakpoints(initial="2", sm="3"), width="100%", class_name="panel", **props,
    )


def field(label: str, control: rx.Component, error: rx.Var | None = None, hint: str = "",
          html_for: str = "") -> rx.Component:
    """A labelled control with its validation message right below it."""
    return rx.vstack(
        rx.el.label(label, html_for=html_for or None, class_name="field-label"),
        control,
        *([rx.text(hint, size="1", color=rx.color("gray", 11))] if hint else []),
        *([rx.cond(error, rx.text(error, size="1", color=rx.color("red", 11), role="alert",
                                         class_name="field-error"))] if error is not None else []),
        spacing="1",
        width="100%",
        align="stretch",
    )


def input_(name: str, default: rx.Var | str = "", **props) -> rx.Component:
    """An uncontrolled form input named and id'd after its field."""
    props.setdefault("id", f"f-{name}")
    props.setdefault("size", "2")
    props.setdefault("width", "100%")
    return rx.input(name=name, default_value=default, **props)


def live_refresh(on_change: rx.EventHandler) -> rx.Component:
    """Run `on_change` (a handler that reads the tab's server figures again) whenever the hub
    pushes a new version of the event. While live updates are paused (Redis down), every few
    seconds instead."""
    return rx.fragment(
        version_changed(value=ConsoleLiveState.version, on_change=on_change),
        rx.cond(~ConsoleLiveState.live, rx.moment(interval=5000, on_change=on_change, display="none")),
    )
