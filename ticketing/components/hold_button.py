"""<HoldButton/>: the event page's "Reserve tickets", which holds the browser's basket through the
JSON API itself (assets/hold_button.jsx): no Reflex event for a hold, a winner's cart opened by a
client-side navigation, the common refusals worded in the browser; only a refused promo or access
code goes to the server's page (`on_refused`), whose code boxes say why."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import no_args_event_spec


class HoldButton(rx.Component):
    library = rx.asset("hold_button.jsx").importable_path
    tag = "HoldButton"
    is_default = False

    event_id: rx.Var[str]
    basket: rx.Var[dict[str, int]]  # the basket as shown ({ticket type id: quantity})
    promo_code: rx.Var[str]
    access_code: rx.Var[str]
    promo_field: rx.Var[str]  # the ids of the code boxes' fields: what they show is what is sent
    access_field: rx.Var[str]
    auth_token: rx.Var[str]  # the signed-in customer's bearer token
    admissions: rx.Var[str]  # the tk_admission localStorage map {event id: admission}, as JSON text
    keeps_code: rx.Var[bool]  # the server's page has a code or a refusal to forget once held
    server_message: rx.Var[str]  # the server's words for the last refusal it worded
    server_codes: rx.Var[list[str]]  # refusals the server words (`on_refused`)

    on_empty_basket: rx.EventHandler[no_args_event_spec]
    on_forget: rx.EventHandler[no_args_event_spec]
    on_go: rx.EventHandler[lambda path: [path]]
    on_refused: rx.EventHandler[lambda code, basket: [code, basket]]


def hold_button(*children: Any, **props: Any) -> rx.Component:
    return HoldButton.create(*children, **props)
