"""The loop each per-worker fan-out (hub, seat maps, organization pages) runs as a lifespan task,
and what the fan-outs share about it: whether the bus is up, and what a pause and a recovery mean."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ticketing.bus import get_bus

log = logging.getLogger(__name__)


async def follow_bus(handle: Callable[[dict[str, Any]], Awaitable[None]], what: str) -> None:
    """Feed every bus message to `handle`; never returns while the app runs. One bad message is
    logged and must not stop live updates for everyone."""
    async for message in get_bus().listen():
        try:
            await handle(message)
        except Exception:
            log.exception("%s failed", what)


class BusFollower:
    """A per-worker fan-out fed by the bus (`run` as a lifespan task). It knows whether the bus
    is up (`bus_up`, sent to the tabs) and says what a pause (`_went_down`), a recovery
    (`_came_back`, with whether the bus was down: messages may have been lost) and any other
    message (`_heard`) mean for its tabs."""

    what = "live update handling"  # the log's name for a message whose handling failed

    def __init__(self) -> None:
        self.bus_up = True

    async def run(self) -> None:
        """The worker's subscription: never returns while the app runs."""
        await follow_bus(self.handle, self.what)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "bus_down":
            self.bus_up = False
            await self._went_down()
        elif kind == "bus_up":
            was_down, self.bus_up = not self.bus_up, True
            await self._came_back(was_down)
        else:
            await self._heard(message)

    async def _went_down(self) -> None:
        raise NotImplementedError

    async def _came_back(self, was_down: bool) -> None:
        raise NotImplementedError

    async def _heard(self, message: dict[str, Any]) -> None:
        raise NotImplementedError
