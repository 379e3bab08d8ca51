"""Labelled form fields and error messages."""

from __future__ import annotations

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
