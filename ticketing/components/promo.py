"""The "Have a code?" box, the same on the event page, the seat map and in the cart."""

from __future__ import annotations

from typing import Any

import reflex as rx


def promo_code_box(*, id_prefix: str, is_open: rx.Var[bool], value: rx.Var[str], on_change: Any, on_apply: Any,
                   on_toggle: Any, error: rx.Var[str], note: rx.Var[str] | None = None, on_remove: Any = None,
                   can_open: rx.Var[bool] | bool = True) -> rx.Component:
    """A link that opens a field (Enter or Apply applies the code: a form of its own, never the
    page's checkout), why a code is refused, and, given `note`, what the applied code does with
    a Remove button. Ids: `<id_prefix>-toggle|-input|-apply|-error|-note|-remove|-box`."""
    field = rx.form(
        rx.hstack(
            rx.input(value=value, on_change=on_change, placeholder="Promo code", size="2", aria_label="Promo code",
                     id=f"{id_prefix}-input", flex="1", text_transform="uppercase", auto_complete="off"),
            rx.button("Apply", type="submit", variant="soft", size="2", id=f"{id_prefix}-apply"),
            width="100%",
        ),
        on_submit=lambda _form: on_apply,
        width="100%",
    )
    toggle = rx.button(rx.icon("ticket-percent", size=16), "Have a code?", type="button", variant="ghost", size="2",
                       on_click=on_toggle, id=f"{id_prefix}-toggle")
    parts = [
        rx.cond(is_open, field, rx.cond(can_open, toggle)),
        rx.cond(error != "", rx.text(error, size="2", color=rx.color("red", 11), role="alert", id=f"{id_prefix}-error")),
    ]
    if note is not None:
        parts.append(rx.cond(
            note != "",
            rx.hstack(rx.icon("circle-check", size=16, color=rx.color("green", 11)),
                      rx.text(note, size="2", id=f"{id_prefix}-note", flex="1"),
                      rx.button("Remove", type="button", on_click=on_remove, variant="ghost", size="1",
                                color_scheme="gray", id=f"{id_prefix}-remove"),
                      align="center", width="100%"),
        ))
    return rx.vstack(*parts, spacing="2", width="100%", id=f"{id_prefix}-box")
