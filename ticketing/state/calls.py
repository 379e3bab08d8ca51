"""Run a service call in its own transaction off the event loop.

Reflex handlers are async; database work and password hashing block, so they run in a worker
thread and the websocket loop keeps serving every other client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from ticketing.db import session_scope

T = TypeVar("T")


async def in_transaction(work: Callable[[Session], T], *, readonly: bool = False) -> T:
    """`work(db)` inside one session_scope, in a thread."""

    def run() -> T:
        with session_scope(readonly=readonly) as db:
            return work(db)

    return await asyncio.to_thread(run)


def form_text(form: dict[str, Any], name: str) -> str:
    """A form field as a stripped string (absent or non-string -> "")."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
