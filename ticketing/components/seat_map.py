"""The seat map: a custom React component (assets/seat_map.jsx) drawing the venue on a canvas.

It downloads the layout and a status snapshot itself (once), then applies the small deltas the
seat fan-out pushes into `delta`; the big collections never travel as Reflex vars.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


class SeatMap(rx.NoSSRComponent):
    """<SeatMap/>: canvas and window APIs, so it renders in the browser only."""

    library = rx.asset("seat_map.jsx").importable_path
    tag = "SeatMap"
    is_default = False

    layout_url: rx.Var[str]
    status_url: rx.Var[str]
    delta: rx.Var[dict[str, Any]]
    mine: rx.Var[list[int]]
    select_request: rx.Var[dict[str, Any]]
    max_select: rx.Var[int]
    mode: rx.Var[str]
    auth_token: rx.Var[str]
    height: rx.Var[str]

    on_select: rx.EventHandler[lambda idxs: [idxs]]
    on_focus_seat: rx.EventHandler[lambda idx: [idx]]
    on_mine_change: rx.EventHandler[lambda: []]


seat_map = SeatMap.create
