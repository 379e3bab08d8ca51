"""Console: event setup — details, cover image, settings, publishing and cancelling."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

import reflex as rx

from ticketing.components.console import confirm, console_page, field, input_, publish_button, section
from ticketing.state.auth import AuthState
from ticketing.state.console.base import ConsoleState
from ticketing.state.console.setup import SetupState

E = SetupState.errors
UPLOAD_ID = "cover-upload"


@lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"]


def _checklist() -> rx.Component:
    def item(c: rx.Var[dict]) -> rx.Component:
        return rx.hstack(
            rx.cond(c["done"] != "", rx.icon("circle-check", color=rx.color("green", 9), size=18),
                    rx.icon("circle", color=rx.color("gray", 8), size=18)),
            rx.vstack(
                rx.text(c["label"], size="2", weight="medium"),
                rx.cond(c["done"] == "", rx.text(c["hint"], size="1", color=rx.color("gray", 11))),
                spacing="0",
            ),
            align="start", spacing="2",
        )

    return rx.vstack(rx.foreach(SetupState.checklist, item), spacing="2", width="100%", id="checklist")


def _status_section() -> rx.Component:
    draft = rx.vstack(
        rx.text("Drafts are invisible to customers. When the list below is complete, publish to start selling.",
                size="2"),
        _checklist(),
        publish_button("publish-checked"),
        spacing="3", width="100%", align="start",
    )
    published = rx.vstack(
        rx.text("Customers can see this event and buy tickets.", size="2"),
        rx.hstack(
            confirm(rx.button("Back to draft", variant="soft", id="unpublish"), "Take this event off sale?",
                    "It disappears from the public pages. This is only possible before anyone has ordered; "
                    "after that, deactivate ticket types to pause sales.",
                    rx.button("Back to draft", on_click=ConsoleState.unpublish, id="unpublish-confirm")),
            spacing="2", wrap="wrap",
        ),
        spacing="3", width="100%", align="start",
    )
    danger = rx.cond(
        ConsoleState.status != "cancelled",
        rx.vstack(
            rx.divider(),
            rx.text("Cancel the event", weight="medium", size="2"),
            rx.text("Every order is cancelled and refunded in full, and every ticket holder gets an email. "
                    "This cannot be undone.", size="2", color=rx.color("gray", 11)),
            confirm(rx.button("Cancel event…", color_scheme="red", variant="soft", id="cancel-event"),
                    "Cancel the whole event?",
                    "All orders are cancelled and refunded in full and every ticket holder is emailed. "
                    "The event can never be sold again.",
                    rx.button("Cancel event and refund everyone", color_scheme="red", on_click=ConsoleState.cancel_event,
                              id="cancel-event-confirm")),
            spacing="2", width="100%", align="start",
        ),
    )
    return section(
        "Status",
        rx.match(ConsoleState.status, ("draft", draft), ("published", published),
                 rx.text("This event is cancelled: it can no longer change or be sold.", size="2")),
        danger,
        id="status-section",
    )


def _details_form() -> rx.Component:
    d = SetupState.details
    return rx.form(
        rx.vstack(
            field("Title", input_("title", d["title"], required=True, max_length=200), E["title"], html_for="f-title"),
            field("Description", rx.text_area(name="description", default_value=d["description"], rows="5",
                                              id="f-description", width="100%"), E["description"],
                  hint="What people get, who it is for, what to bring.", html_for="f-description"),
            rx.grid(
                field("Location", input_("location", d["location"], placeholder="Venue, street, city"),
                      E["location"], html_for="f-location"),
                field("Category", input_("category", d["category"], placeholder="Workshop, Concert, Yoga…"),
                      E["category"], html_for="f-category"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            field("Time zone", rx.el.select(*[rx.el.option(z, value=z) for z in _zones()], name="timezone",
                                            default_value=d["timezone"], id="f-timezone", class_name="native-select"),
                  E["timezone"], hint="Session times are entered and shown in this time zone.", html_for="f-timezone"),
            rx.cond(E["form"], rx.callout(E["form"], color_scheme="red", icon="triangle-alert", width="100%")),
            rx.button("Save details", type="submit", loading=SetupState.saving == "details", id="save-details"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=SetupState.save_details,
        reset_on_submit=False,
        key=SetupState.form_key,
        width="100%",
    )


def _named_file_input(upload: rx.Component, label: str) -> rx.Component:
    """rx.upload renders its <input type=file> without props: name it for screen readers."""
    stack = [upload]
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            node.custom_attrs["aria-label"] = label
        stack.extend(getattr(node, "children", []) or [])
    return upload


def _cover() -> rx.Component:
    return rx.vstack(
        rx.cond(
            SetupState.cover_image != "",
            rx.box(
                rx.image(src=rx.get_upload_url(SetupState.cover_image), alt="Cover image", class_name="cover-preview",
                         id="cover-preview"),
                width="100%",
            ),
        ),
        _named_file_input(rx.upload(
            rx.vstack(
                rx.icon("image-up", size=22, color=rx.color("indigo", 10)),
                rx.text(rx.cond(SetupState.cover_image != "", "Replace the image", "Add a cover image"),
                        weight="medium", size="2"),
                rx.text("Drop it here or click to choose · PNG, JPEG, GIF or WebP, up to 5 MB", size="1",
                        color=rx.color("gray", 11), text_align="center"),
                align="center", spacing="1",
            ),
            id=UPLOAD_ID,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/gif": [".gif"],
                    "image/webp": [".webp"]},
            multiple=False,
            max_files=1,
            max_size=5 * 1024 * 1024,
            # The token rides along: the server refuses an anonymous upload before reading it.
            on_drop=SetupState.upload_cover(rx.upload_files_chunk(
                upload_id=UPLOAD_ID, extra_headers={"authorization": "Bearer " + AuthState.token})),
            class_name="dropzone",
        ), "Cover image file"),
        rx.cond(E["cover"], rx.text(E["cover"], color=rx.color("red", 11), size="1", role="alert")),
        rx.cond(SetupState.cover_image != "",
                rx.button("Remove image", variant="ghost", color_scheme="gray", size="1",
                          on_click=SetupState.remove_cover)),
        spacing="2", width="100%",
    )


def _number(label: str, name: str, low: int, high: int, hint: str) -> rx.Component:
    return field(label, input_(name, SetupState.settings[name], type="number", min=low, max=high, required=True),
                 E[name], hint=hint, html_for=f"f-{name}")


def _settings_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _number("Cart hold (minutes)", "hold_minutes", 1, 120, "How long places stay in a cart."),
                _number("Time to pay (minutes)", "payment_minutes", 1, 1440, "After checkout, before the order lapses."),
                _number("Max tickets per order", "max_tickets_per_order", 1, 100, "Across all ticket types."),
                _number("Waiting-list offer (minutes)", "offer_minutes", 5, 1440,
                        "How long places offered to the next in line stay theirs."),
                columns=rx.breakpoints(initial="1", sm="2", md="4"), spacing="3", width="100%",
            ),
            rx.el.label(
                rx.hstack(rx.switch(name="one_ticket_per_attendee", default_checked=SetupState.one_per_attendee,
                                    id="f-one_ticket_per_attendee"),
                          rx.text("One ticket per attendee per session", size="2"), align="center", spacing="2"),
            ),
            rx.vstack(
                rx.el.label("Names per ticket", html_for="f-attendee_names", class_name="field-label"),
                rx.el.select(
                    rx.el.option("Automatic: for several sessions or seated events", value="auto"),
                    rx.el.option("Always ask a name per ticket", value="on"),
                    rx.el.option("Never: tickets carry the buyer's name", value="off"),
                    name="attendee_names", default_value=SetupState.attendee_names, id="f-attendee_names",
                    aria_label="Names per ticket",
                    class_name="native-select",
                ),
                spacing="1", width="100%",
            ),
            rx.text("Cancellation policy", weight="medium", size="2"),
            rx.el.label(
                rx.hstack(rx.switch(name="allow_cancellation", default_checked=SetupState.allow_cancellation,
                                    id="f-allow_cancellation"),
                          rx.text("Buyers may cancel their tickets themselves", size="2"), align="center", spacing="2"),
            ),
            rx.grid(
                _number("Until (hours before the first session)", "cancellation_deadline_hours", 0, 8760,
                        "0 = until the session starts."),
                _number("Fee kept (% of the price)", "cancellation_fee_percent", 0, 100,
                        "You can always refund in full yourself."),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.button("Save settings", type="submit", loading=SetupState.saving == "settings", id="save-settings"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=SetupState.save_settings,
        reset_on_submit=False,
        key=SetupState.form_key,
        width="100%",
    )


def setup_page() -> rx.Component:
    return console_page(
        "setup",
        rx.grid(
            rx.vstack(
                section("Details", _details_form()),
                section("Settings", _settings_form(), hint="They apply to carts and orders made from now on."),
                spacing="4", width="100%",
            ),
            rx.vstack(
                _status_section(),
                section("Cover image", _cover(), hint="Shown at the top of the public event page."),
                spacing="4", width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4",
            width="100%",
        ),
    )
