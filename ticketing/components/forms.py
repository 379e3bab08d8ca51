"""Labelled form fields and error messages."""

from __future__ import annotations

from typing import Any

import reflex as rx


def text_field(label: str, name: str, *, type: str = "text", autocomplete: str = "", required: bool = True,
               placeholder: str = "", hint: str = "", on_change=None, value=None) -> rx.Component:
    """`value`: the field's starting text (an edit form; give the form a key to refill it)."""
    field_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete or None,
            required=required,
            placeholder=placeholder,
            size="3",
            width="100%",
            **({"on_change": on_change} if on_change is not None else {}),
            **({"default_value": value} if value is not None else {}),
        ),
        rx.cond(hint != "", rx.text(hint, size="1", color=rx.color("gray", 11))),
        spacing="1",
        width="100%",
    )


def form_error(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", id="form-error", width="100%"),
    )


def card(*children: rx.Component, **props) -> rx.Component:
    return rx.card(*children, size="3", width="100%", class_name="panel", **props)


def code_entry(*, prefix: str, is_open: rx.Var[bool], value: rx.Var[str], on_change: Any, on_apply: Any,
               on_toggle: Any, error: rx.Var[str], note: rx.Var[str], on_remove: Any, placeholder: str,
               apply_label: str, toggle: tuple[str, str], note_icon: str) -> rx.Component:
    """A code a customer types (promo, presale access): a link that opens a field, then what the
    code does (with Remove) or why it is refused. Ids: `<prefix>-input`, `-apply`, `-toggle`,
    `-error`, `-note`, `-remove`, `-box`."""
    return rx.vstack(
        rx.cond(
            is_open,
            rx.hstack(
                rx.input(value=value, on_change=on_change, placeholder=placeholder, size="2", aria_label=placeholder,
                         id=f"{prefix}-input", flex="1", text_transform="uppercase"),
                rx.button(apply_label, on_click=on_apply, variant="soft", size="2", id=f"{prefix}-apply"),
                width="100%",
            ),
            rx.button(rx.icon(toggle[0], size=16), toggle[1], on_click=on_toggle, variant="ghost", size="2",
                      id=f"{prefix}-toggle"),
        ),
        rx.cond(error != "", rx.text(error, size="2", color=rx.color("red", 11), role="alert", id=f"{prefix}-error")),
        rx.cond(
            note != "",
            rx.hstack(rx.icon(note_icon, size=16, color=rx.color("green", 11)),
                      rx.text(note, size="2", id=f"{prefix}-note", flex="1"),
                      rx.button("Remove", on_click=on_remove, variant="ghost", size="1", color_scheme="gray",
                                id=f"{prefix}-remove"),
                      align="center", width="100%"),
        ),
        spacing="2",
        width="100%",
        id=f"{prefix}-box",
    )
