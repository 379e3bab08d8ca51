"""The loop each per-worker fan-out (hub, seat maps, organization pages) runs as a lifespan task."""

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
