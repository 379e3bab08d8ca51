"""<OnChange/>: calls a handler when a var the hub pushes changes (assets/on_change.jsx)."""

from __future__ import annotations

import reflex as rx


class OnChange(rx.Component):
    library = rx.asset("on_change.jsx").importable_path
    tag = "OnChange"
    is_default = False

    value: rx.Var[int | str]  # a version, or a value as JSON text

    on_change: rx.EventHandler[lambda value: [value]]


on_change = OnChange.create
