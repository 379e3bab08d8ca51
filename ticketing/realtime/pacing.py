"""How often a worker pushes to its tabs: the first change after a quiet spell goes out at once,
changes that follow within the interval are merged into one run at the end of that interval.

The interval grows with the tabs a worker serves (`interval_for`), so that its pushes cost at
most FRAMES_PER_SECOND frames a second whatever the crowd: a frame costs the worker about 0.1 ms
of CPU (one websocket write per tab), and 500 tabs at a 50 ms interval were 10,000 frames a
second, the whole CPU, during an on-sale (bench/onsale.py). 1,000 a second is a tenth of a core
per worker: the local cluster runs four workers on two cores, and at 2,500 a second their pushes
alone could take half the machine while the sale needed it (wave 2: 94 us of a worker's time
per frame, measured with py-spy during the default on-sale).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

PUSH_INTERVAL = 0.05  # seconds between two pushes of one event to its tabs, with few tabs
FRAMES_PER_SECOND = 1000  # the most frames a second one worker's pushes of one kind should cost


def interval_for(tabs: int, shortest: float = PUSH_INTERVAL, frames_per_second: float = FRAMES_PER_SECOND) -> float:
    """Seconds between two pushes of one event when a worker serves `tabs` tabs."""
    return max(shortest, tabs / frames_per_second)


class Pacer:
    """The pacing of one thing pushed (an event's figures, an organization page's figures).

    Each kind of run (`timer`: a push, a reload) merges its own calls, and all of them wait for
    the same last run (`mark`), which the action sets when it actually pushes."""

    def __init__(self) -> None:
        self.ran_at = -1e9  # loop time of the last run
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def mark(self) -> None:
        self.ran_at = asyncio.get_running_loop().time()

    async def when_due(self, interval: float, action: Callable[[], Awaitable[None]], timer: str = "push") -> None:
        """Run `action` now if the last run is `interval` old, else once it is; a call while
        one of this kind is already scheduled is merged into it (it will see the change too)."""
        if timer in self._timers:
            return
        loop = asyncio.get_running_loop()
        wait = self.ran_at + interval - loop.time()
        if wait <= 0:
            await action()
            return

        def due() -> None:
            self._timers.pop(timer, None)
            asyncio.ensure_future(action())

        self._timers[timer] = loop.call_later(wait, due)

    def cancel(self) -> None:
        """Nothing scheduled runs any more (nobody watches)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
