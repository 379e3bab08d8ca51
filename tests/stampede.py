"""Shared setup of the races for the uses of a code (promo codes, presale access codes).

The event has ROOMS ticket types, each in a session of its own, and the buyers spread over
them: no session lock lines them up, so only the code's (or the presale's) own row lock stands
between them and one use too many.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlmodel import func, select

from tests.builders import T0, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.integration.test_concurrency_pg import WORKERS, retrying
from ticketing.db import session_scope
from ticketing.models import Hold
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders

ROOMS = 20


def rooms_event(*, title: str, buyers: int) -> dict[str, Any]:
    """An event of ROOMS ticket types at 20.00, each in a room of 1000 places, its owner and
    `buyers` customers: {"event_id", "types", "buyers", "owner"}."""
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        event = make_event(db, org=make_org(db, owner=owner, now=T0), title=title)
        types = [make_ticket_type(db, event=event, name=f"Room {i}", price_minor=2000,
                                  sessions=[make_session(db, event=event, name=f"Room {i}", capacity=1000)]).id
                 for i in range(ROOMS)]
        return {"event_id": event.id, "types": types, "buyers": [u.id for u in make_buyers(db, buyers)],
                "owner": owner.id}


def stampede(data: dict, *, code: Callable[[int], dict[str, str]], checkout_every: int = 0) -> Counter:
    """Every buyer holds one ticket with a code (`code(i)`: the hold's keyword for buyer i) at
    once; every `checkout_every`-th winner also checks out, so uses live on in orders too.
    Returns the outcomes: "won" or the refusal's code."""
    start = threading.Barrier(WORKERS)
    started = threading.local()

    def attempt(i: int, user_id: uuid.UUID) -> str:
        if not getattr(started, "done", False):
            started.done = True
            start.wait(timeout=30)
        try:
            h = retrying(holds.hold_tickets, event_id=data["event_id"], user_id=user_id,
                         items=[(data["types"][i % ROOMS], 1)], now=T0, **code(i))
        except ServiceError as exc:
            return exc.code
        if checkout_every and i % checkout_every == 0:
            retrying(orders.checkout, hold_id=h.id, user_id=user_id, attendees=None, now=T0 + timedelta(seconds=1))
        return "won"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return Counter(pool.map(lambda p: attempt(*p), enumerate(data["buyers"])))


def release_holds(*where: Any, count: int) -> None:
    """Release the first `count` holds matching `where` (their uses go back to the code)."""
    with session_scope(readonly=True) as db:
        taken = db.exec(select(Hold.id, Hold.user_id).where(*where).order_by(Hold.id)).all()
    for hold_id, user_id in taken[:count]:
        in_tx(holds.release_hold, hold_id=hold_id, user_id=user_id, now=T0)


def slowed(fn: Callable[..., Any], seconds: float = 0.05) -> Callable[..., Any]:
    """`fn`, then a pause: for the controls, a wider gap between counting the uses and writing one."""
    def slow(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        time.sleep(seconds)
        return out

    return slow


def committed(model: type, *where: Any) -> int:
    """How many rows of `model` matching `where` are committed."""
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()
