"""<Countdown/>: mm:ss left of a hold or of the time to pay, counted down in the browser from the
seconds the server's clock gave at the page's load (assets/countdown.jsx); the server hears of
it once, at zero (`on_expire`), instead of once a second."""

from __future__ import annotations

import reflex as rx
from reflex.event import no_args_event_spec


class Countdown(rx.Component):
    library = rx.asset("countdown.jsx").importable_path
    tag = "Countdown"
    is_default = False

    remaining: rx.Var[int]  # seconds left by the server's clock when the state was loaded
    until: rx.Var[str]  # the deadline as the server knows it: a new one restarts the count
    label: rx.Var[str]  # "left", "to pay"

    on_expire: rx.EventHandler[no_args_event_spec]


countdown = Countdown.create
