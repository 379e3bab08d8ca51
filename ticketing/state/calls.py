"""Run a service call in its own transaction off the event loop.

Reflex handlers are async; database work and password hashing block, so they run in a worker
thread and the websocket loop keeps serving every other client. A transient database failure
(pool exhausted, connection lost, lock timeout: `busy`) rolled the whole transaction back, so
the call is tried again a few times before the page says we are busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from ticketing.client_address import client_address
from ticketing.db import session_scope
from ticketing.services.errors import ServiceError

T = TypeVar("T")

# Pauses before the second and third try: short enough that the page still feels responsive.
BUSY_RETRY_PAUSES = (0.3, 1.0)
BUSY_PAGE_MESSAGE = "Busy right now; we tried again for you. Nothing was changed: please try once more in a moment."


async def off_loop(call: Callable[[], T]) -> T:
    """`call()` in a thread; tried again after a `busy` (it changed nothing), and still busy
    after the last try: `busy` with a calm message for the page."""
    for pause in (*BUSY_RETRY_PAUSES, None):
        try:
            return await asyncio.to_thread(call)
        except ServiceError as exc:
            if exc.code != "busy":
                raise
            if pause is None:
                raise ServiceError("busy", BUSY_PAGE_MESSAGE) from exc
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises


async def in_transaction(work: Callable[[Session], T], *, readonly: bool = False) -> T:
    """`work(db)` inside one session_scope, in a thread (tried again while busy, see off_loop)."""

    def run() -> T:
        with session_scope(readonly=readonly) as db:
            return work(db)

    return await off_loop(run)


def form_text(form: dict[str, Any], name: str) -> str:
    """A form field as a stripped string (absent or non-string -> "")."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def page_client_address(state: Any) -> str:
    """The address of the browser behind a handler's websocket (the connection's, or the one a
    trusted proxy names), for the throttle."""
    router = state.router
    return client_address(router.session.client_ip, router.headers.raw_headers)
