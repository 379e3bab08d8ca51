"""The worker's seat-map fan-out, pushing through the same per-tab emitter as the live hub."""

from __future__ import annotations

from ticketing.realtime.seat_fanout import SeatFanout
from ticketing.state.live import emit_to_tabs

seat_fanout = SeatFanout(emit=emit_to_tabs)
