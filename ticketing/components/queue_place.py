"""<QueuePlace/>: the queue page's place in line, asked of the JSON API by the browser itself at
the server's cadence (assets/queue_place.jsx), so a tab in line sends no Reflex event until its
turn comes (or the answer needs the server's page: `on_hand_over`)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import no_args_event_spec


class QueuePlace(rx.Component):
    library = rx.asset("queue_place.jsx").importable_path
    tag = "QueuePlace"
    is_default = False

    event_id: rx.Var[str]
    place: rx.Var[dict[str, Any]]  # the first answer (the page's load): GET .../waiting-room/me's figures
    auth_token: rx.Var[str]  # the signed-in customer's bearer token

    on_hand_over: rx.EventHandler[no_args_event_spec]


queue_place = QueuePlace.create
