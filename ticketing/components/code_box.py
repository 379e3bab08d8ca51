"""The box where a customer types a code (promo code, presale access code): the same on the event
page, the seat map and in the cart."""

from __future__ import annotations

from typing import Any

import reflex as rx


def code_box(*, id_prefix: str, is_open: rx.Var[bool], value: rx.Var[str], on_change: Any, on_apply: Any,
             on_toggle: Any, error: rx.Var[str], note: rx.Var[str] | None = None, on_remove: Any = None,
             can_open: rx.Var[bool] | bool = True, placeholder: str = "Promo code", apply_label: str = "Apply",
             toggle: tuple[str, str] = ("ticket-percent", "Have a promo code?"),
             note_icon: str = "circle-check") -> rx.Component:
    """A link (`toggle`: icon, words) that opens a field (Enter or the apply button applies the
    code: a form of its own, never the page's checkout), why a code is refused, and, given `note`,
    what the applied code does with a Remove button.
    Ids: `<id_prefix>-toggle|-input|-apply|-error|-note|-remove|-box`."""
    field = rx.form(
        rx.hstack(
            rx.input(value=value, on_change=on_change, placeholder=placeholder, size="2", aria_label=placeholder,
                     id=f"{id_prefix}-input", flex="1", text_transform="uppercase", auto_complete="off"),
            rx.button(apply_label, type="submit", variant="soft", size="2", id=f"{id_prefix}-apply"),
            width="100%",
        ),
        on_submit=lambda _form: on_apply,
        width="100%",
    )
    opener = rx.button(rx.icon(toggle[0], size=16), toggle[1], type="button", variant="ghost", size="2",
                       on_click=on_toggle, id=f"{id_prefix}-toggle")
    parts = [
        rx.cond(is_open, field, rx.cond(can_open, opener)),
        rx.cond(error != "", rx.text(error, size="2", color=rx.color("red", 11), role="alert", id=f"{id_prefix}-error")),
    ]
    if note is not None:
        parts.append(rx.cond(
            note != "",
            rx.hstack(rx.icon(note_icon, size=16, color=rx.color("green", 11)),
                      rx.text(note, size="2", id=f"{id_prefix}-note", flex="1"),
                      rx.button("Remove", type="button", on_click=on_remove, variant="ghost", size="1",
                                color_scheme="gray", id=f"{id_prefix}-remove"),
                      align="center", width="100%"),
        ))
    return rx.vstack(*parts, spacing="2", width="100%", id=f"{id_prefix}-box")
