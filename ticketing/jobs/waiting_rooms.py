"""The waiting rooms' pacer: a lifespan task of every app process, beating once a second.

Every process beats, but admissions are decided under each room's row lock against its pacing
clock (services/waiting_room/pacing.py): the rate is the room's, not the rate times the number
of processes; a process that stops leaves the others pacing.
"""

from __future__ import annotations

import asyncio
import logging

from ticketing.models.base import utcnow
from ticketing.services.waiting_room import pacing

log = logging.getLogger(__name__)
BEAT_SECONDS = 1.0


async def pace_waiting_rooms() -> None:
    """Admit the customers due in every open waiting room, once a second, until cancelled."""
    while True:
        try:
            await asyncio.to_thread(lambda: pacing.tick(now=utcnow()))
        except Exception:  # a database or Redis outage: the next beat tries again
            log.exception("waiting room pacing failed")
        await asyncio.sleep(BEAT_SECONDS)
